import GuestMemory

extension PackedQueue {
    /// Takes up to `maxChains` (capped by `limits.maxChains`) available chains in ring order: the
    /// TX burst. Every returned chain, malformed or not, goes back with `pushUsedTransmitted`.
    public func popAvailable(maxChains: Int) -> Int {
        let s = state
        s.pointee.cursor.clear()
        s.pointee.sawMore = false
        guard !s.pointee.broken else { return 0 }
        let limit = min(maxChains, limits.maxChains)
        let maxBytes = UInt64(limits.maxTransmitBytes)
        let stride = limits.maxSegmentsPerChain
        let chainsOut = chainStorage
        let segmentsOut = segmentStorage
        let spans = ringSpans
        var region = memory.window(hint: s.pointee.memoryHint)
        var slot = s.pointee.lastAvail
        var wrap = s.pointee.availWrap
        var n = 0
        while n < limit, isAvailable(slot: slot, wrap: wrap) {
            let first = n &* stride
            // The common chain: one readable descriptor in the burst's region.
            let d = UnsafeRawPointer(ring) + Int(slot) &* PackedRing.descriptorSize
            let flags = UInt16(littleEndian: d.load(fromByteOffset: 14, as: UInt16.self))
            let id = UInt16(littleEndian: d.load(fromByteOffset: 12, as: UInt16.self))
            let length = UInt64(UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self)))
            let address = UInt64(littleEndian: d.load(as: UInt64.self))
            let oneDescriptor = flags & (PackedRing.flagNext | PackedRing.flagIndirect | PackedRing.flagWrite) == 0
            if oneDescriptor, id < size, length > 0, length <= maxBytes,
               let base = region.pointer(guestPhysical: address, length: length) {
                segmentsOut[first] = GuestSegment(base: base, length: Int(truncatingIfNeeded: length),
                                                  guestPhysical: address)
                chainsOut[n] = DescriptorChain(head: id, length: Int(truncatingIfNeeded: length), firstSegment: first,
                                               segmentCount: 1)
                spans[n] = 1
            } else {
                guard let chain = walkChain(slot: slot, chainSlot: n, deviceWrites: false, maxBytes: maxBytes) else {
                    break
                }
                chainsOut[n] = chain
                region = memory.window(hint: s.pointee.memoryHint)
            }
            advance(&slot, &wrap, by: spans[n])
            n &+= 1
        }
        s.pointee.lastAvail = slot
        s.pointee.availWrap = wrap
        s.pointee.cursor.chainCount = n
        s.pointee.sawMore = n == limit
        if n > 0 { updateAvailEvent() }
        return n
    }
}
