import GuestMemory

extension PackedQueue {
    /// The common buffer: the descriptor at `slot` alone (no NEXT, no INDIRECT) of the right
    /// direction, 1...`maxBytes` long, with a buffer id inside the ring, in the region this queue
    /// last hit. Nil for anything else; the caller then runs `walkChain`, which re-reads and
    /// re-checks everything itself. The caller has seen the slot available.
    @inlinable @inline(__always)
    func singleDescriptorBuffer(slot: UInt16, deviceWrites: Bool, maxBytes: UInt64) -> (id: UInt16, buffer: GuestSegment)? {
        let d = UnsafeRawPointer(ring) + Int(slot) &* PackedRing.descriptorSize
        let flags = UInt16(littleEndian: d.load(fromByteOffset: 14, as: UInt16.self))
        let kind = flags & (PackedRing.flagNext | PackedRing.flagIndirect | PackedRing.flagWrite)
        guard kind == (deviceWrites ? PackedRing.flagWrite : 0) else { return nil }
        let id = UInt16(littleEndian: d.load(fromByteOffset: 12, as: UInt16.self))
        let length = UInt64(UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self)))
        guard id < size, length > 0, length <= maxBytes else { return nil }
        let address = UInt64(littleEndian: d.load(as: UInt64.self))
        guard let base = memory.pointer(guestPhysical: address, length: length,
                                        inHintedRegion: state.pointee.memoryHint) else { return nil }
        return (id, GuestSegment(base: base, length: Int(truncatingIfNeeded: length), guestPhysical: address))
    }

    /// Walks the chain whose first descriptor is at ring `slot` into scratch slot `chainSlot`, and
    /// records the ring descriptors it spans in `ringSpans[chainSlot]`. The chain's id is its last
    /// descriptor's (§2.8.6). A chain with bad contents comes back with its error (it is still
    /// returned, length 0, and the ring moves past it); nil means the ring cannot be followed any
    /// more (a chain longer than the ring, or an id outside it): the queue is marked broken.
    @usableFromInline @inline(never)
    func walkChain(slot: UInt16, chainSlot: Int, deviceWrites: Bool, maxBytes: UInt64) -> DescriptorChain? {
        var chain = DescriptorChain(head: 0, firstSegment: chainSlot * limits.maxSegmentsPerChain)
        state.pointee.chainWalks &+= 1
        var total: UInt64 = 0
        var count = 0
        var error: ChainError?
        var allowed = limits.maxDescriptorsPerChain
        var index = Int(slot)
        var span = 0
        var id: UInt16 = 0
        let out = segmentStorage + chain.firstSegment
        while true {
            // The spec bounds a chain by the ring; one that never ends cannot be returned.
            guard span < Int(size) else {
                state.pointee.broken = true
                return nil
            }
            span &+= 1
            let d = UnsafeRawPointer(ring) + index &* PackedRing.descriptorSize
            let address = UInt64(littleEndian: d.load(as: UInt64.self))
            let length = UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self))
            id = UInt16(littleEndian: d.load(fromByteOffset: 12, as: UInt16.self))
            let flags = UInt16(littleEndian: d.load(fromByteOffset: 14, as: UInt16.self))
            // After an error only the chain's end is looked for: it must still go back whole.
            if error == nil {
                error = take(address: address, length: length, flags: flags, deviceWrites: deviceWrites,
                             maxBytes: maxBytes, allowed: &allowed, out: out, count: &count, total: &total)
            }
            if flags & PackedRing.flagNext == 0 { break }
            index &+= 1
            if index == Int(size) { index = 0 }
        }
        guard id < size else {
            // No id the driver could recognise: nothing to return it under.
            state.pointee.broken = true
            return nil
        }
        chain._head = id
        chain._error = error
        chain._segmentCount = error == nil ? count : 0
        chain._length = error == nil ? Int(total) : 0
        ringSpans[chainSlot] = UInt16(truncatingIfNeeded: span)
        return chain
    }

    /// One ring descriptor of a chain: a buffer, or an indirect table whose entries are buffers.
    /// Every descriptor (zero-length ones, the indirect one and each table entry) counts against
    /// `limits.maxDescriptorsPerChain` (docs/limits.md).
    @usableFromInline
    func take(address: UInt64, length: UInt32, flags: UInt16, deviceWrites: Bool, maxBytes: UInt64,
              allowed: inout Int, out: UnsafeMutablePointer<GuestSegment>, count: inout Int,
              total: inout UInt64) -> ChainError? {
        guard allowed > 0 else { return .tooManyDescriptors }
        allowed &-= 1
        guard flags & PackedRing.flagIndirect != 0 else {
            return buffer(address: address, length: length, writable: flags & PackedRing.flagWrite != 0,
                          deviceWrites: deviceWrites, maxBytes: maxBytes, out: out, count: &count, total: &total)
        }
        guard let copy = indirectCopy else { return .indirectNotNegotiated }
        guard flags & PackedRing.flagNext == 0 else { return .indirectWithNext }
        let entries = Int(length) / PackedRing.descriptorSize
        guard length > 0, Int(length) % PackedRing.descriptorSize == 0, entries <= Int(size) else {
            return .invalidIndirectLength
        }
        guard entries <= allowed else { return .tooManyDescriptors }
        guard memory.copyIndirectTable(address: address, length: Int(length), into: copy, scratch: indirectSegments,
                                       hint: &state.pointee.memoryHint)
        else { return .unmappedAddress }
        // §2.8.19: table entries follow each other (no NEXT); WRITE is their only valid flag. An
        // entry flagged INDIRECT is refused rather than ignored: it can only be an attempt at a
        // nested table, and the split ring refuses those too.
        for e in 0..<entries {
            let d = UnsafeRawPointer(copy) + e &* PackedRing.descriptorSize
            let entryFlags = UInt16(littleEndian: d.load(fromByteOffset: 14, as: UInt16.self))
            guard entryFlags & PackedRing.flagIndirect == 0 else { return .nestedIndirect }
            allowed &-= 1
            if let error = buffer(address: UInt64(littleEndian: d.load(as: UInt64.self)),
                                  length: UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self)),
                                  writable: entryFlags & PackedRing.flagWrite != 0, deviceWrites: deviceWrites,
                                  maxBytes: maxBytes, out: out, count: &count, total: &total) {
                return error
            }
        }
        return nil
    }

    @usableFromInline
    func buffer(address: UInt64, length: UInt32, writable: Bool, deviceWrites: Bool, maxBytes: UInt64,
                out: UnsafeMutablePointer<GuestSegment>, count: inout Int, total: inout UInt64) -> ChainError? {
        if writable != deviceWrites {
            return deviceWrites ? .readableDescriptorInReceiveChain : .writableDescriptorInTransmitChain
        }
        guard length > 0 else { return nil }
        total &+= UInt64(length)
        guard total <= maxBytes else { return .chainTooLong }
        switch memory.appendSegments(guestPhysical: address, length: UInt64(length), to: out, count: &count,
                                     capacity: limits.maxSegmentsPerChain, hint: &state.pointee.memoryHint) {
        case .ok: return nil
        case .unmapped: return .unmappedAddress
        case .tooManySegments: return .tooManySegments
        }
    }

}
