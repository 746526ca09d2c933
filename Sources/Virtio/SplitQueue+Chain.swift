import GuestMemory

extension SplitQueue {
    /// The common chain, checked without the general walk: one direct descriptor (no NEXT, no
    /// INDIRECT) of the right direction, 1...`maxBytes` long, inside the region this queue last
    /// hit. Returns its one translated piece, or nil for anything else, and the caller then runs
    /// `walkChain`, which re-reads and re-checks the descriptor on its own (each path validates
    /// exactly the values it uses, so a concurrent rewrite by the guest cannot slip between a
    /// check and a use). `head` is already checked < size.
    @inlinable @inline(__always)
    func singleDescriptorBuffer(head: UInt16, deviceWrites: Bool, maxBytes: UInt64) -> GuestSegment? {
        let d = UnsafeRawPointer(descriptors) + Int(head) &* SplitRing.descriptorSize
        let flags = UInt16(littleEndian: d.load(fromByteOffset: 12, as: UInt16.self))
        let kind = flags & (SplitRing.descriptorFlagNext | SplitRing.descriptorFlagIndirect | SplitRing.descriptorFlagWrite)
        guard kind == (deviceWrites ? SplitRing.descriptorFlagWrite : 0) else { return nil }
        let length = UInt64(UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self)))
        guard length > 0, length <= maxBytes else { return nil }
        let address = UInt64(littleEndian: d.load(as: UInt64.self))
        guard let base = memory.pointer(guestPhysical: address, length: length,
                                        inHintedRegion: state.pointee.memoryHint) else { return nil }
        return GuestSegment(base: base, length: Int(truncatingIfNeeded: length), guestPhysical: address)
    }

    /// Walks the chain starting at `head` (already checked < size) into scratch slot `slot`.
    /// TX chains must be all device-readable, RX chains all device-writable. The general path:
    /// multi-descriptor and indirect chains, region changes, and every malformed chain.
    @usableFromInline @inline(never)
    func walkChain(head: UInt16, slot: Int, deviceWrites: Bool, maxBytes: UInt64) -> DescriptorChain {
        var chain = DescriptorChain(head: head, firstSegment: slot * limits.maxSegmentsPerChain)
        state.pointee.chainWalks &+= 1
        var total: UInt64 = 0
        var count = 0
        chain._error = walk(head: head, deviceWrites: deviceWrites, maxBytes: maxBytes,
                           out: segmentStorage + chain.firstSegment, count: &count, total: &total)
        chain._segmentCount = count
        // total <= maxBytes, which callers keep below Int.max.
        chain._length = Int(total)
        return chain
    }

    /// Each descriptor is loaded once into locals (the guest may rewrite it concurrently) and
    /// checked before use. A budget equal to the table size stops loops (spec: no chain is longer
    /// than the queue); an indirect table gets its own budget of its entry count. Every
    /// descriptor, zero-length or not, direct, INDIRECT or table entry, also counts against
    /// `limits.maxDescriptorsPerChain` (docs/limits.md): without it a chain of empty descriptors
    /// costs a walk of the whole table (and an indirect one a copy of up to 512 KiB) and is
    /// never refused.
    @usableFromInline
    func walk(head: UInt16, deviceWrites: Bool, maxBytes: UInt64, out: UnsafeMutablePointer<GuestSegment>,
              count: inout Int, total: inout UInt64) -> ChainError? {
        var table = UnsafeRawPointer(descriptors)
        var tableSize = Int(size)
        var index = Int(head)
        var budget = tableSize
        var inIndirect = false
        let capacity = limits.maxSegmentsPerChain
        var allowed = limits.maxDescriptorsPerChain
        while true {
            guard index < tableSize else { return .nextOutOfRange }
            guard budget > 0 else { return .descriptorLoop }
            guard allowed > 0 else { return .tooManyDescriptors }
            budget &-= 1
            allowed &-= 1
            let d = table + index &* SplitRing.descriptorSize
            let address = UInt64(littleEndian: d.load(as: UInt64.self))
            let length = UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self))
            let flags = UInt16(littleEndian: d.load(fromByteOffset: 12, as: UInt16.self))
            let next = UInt16(littleEndian: d.load(fromByteOffset: 14, as: UInt16.self))

            if flags & SplitRing.descriptorFlagIndirect != 0 {
                guard let copy = indirectCopy else { return .indirectNotNegotiated }
                guard !inIndirect else { return .nestedIndirect }
                guard flags & SplitRing.descriptorFlagNext == 0 else { return .indirectWithNext }
                let entries = Int(length) / SplitRing.descriptorSize
                guard length > 0, Int(length) % SplitRing.descriptorSize == 0, entries <= Int(size) else {
                    return .invalidIndirectLength
                }
                // Refused before the copy: the entries would all count anyway.
                guard entries <= allowed else { return .tooManyDescriptors }
                guard memory.copyIndirectTable(address: address, length: Int(length), into: copy,
                                               scratch: indirectSegments, hint: &state.pointee.memoryHint) else {
                    return .unmappedAddress
                }
                table = UnsafeRawPointer(copy)
                tableSize = entries
                index = 0
                budget = entries
                inIndirect = true
                continue
            }

            let writable = flags & SplitRing.descriptorFlagWrite != 0
            if writable != deviceWrites {
                return deviceWrites ? .readableDescriptorInReceiveChain : .writableDescriptorInTransmitChain
            }
            // Zero-length descriptors carry nothing; skipping them is harmless.
            if length > 0 {
                total &+= UInt64(length)
                guard total <= maxBytes else { return .chainTooLong }
                switch memory.appendSegments(guestPhysical: address, length: UInt64(length), to: out,
                                             count: &count, capacity: capacity, hint: &state.pointee.memoryHint) {
                case .ok: break
                case .unmapped: return .unmappedAddress
                case .tooManySegments: return .tooManySegments
                }
            }
            if flags & SplitRing.descriptorFlagNext == 0 { return nil }
            index = Int(next)
        }
    }

}
