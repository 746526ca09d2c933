import GuestMemory

extension SplitQueue {
    /// Takes up to `maxChains` (capped by `limits.maxChains`) available chains: the TX burst.
    /// Results are in `chains` / `segments(of:)`; every returned chain, malformed or not, must go
    /// back with `pushUsed(head:length: 0)`. Returns 0 when the ring is empty or broken.
    public func popAvailable(maxChains: Int) -> Int {
        let s = state
        s.pointee.cursor.clear()
        guard !s.pointee.broken else { return 0 }
        let limit = min(maxChains, limits.maxChains)
        let maxBytes = UInt64(limits.maxTransmitBytes)
        let stride = limits.maxSegmentsPerChain
        // Loop invariants in locals: stores into guest memory and scratch could alias the class's
        // fields as far as the compiler knows, so it would reload them per chain.
        let table = UnsafeRawPointer(descriptors)
        let chainsOut = chainStorage
        let segmentsOut = segmentStorage
        let ringSize = size
        var region = memory.window(hint: s.pointee.memoryHint)
        var last = s.pointee.lastAvail
        var n = 0
        while n < limit {
            if last == s.pointee.cachedAvail {
                s.pointee.lastAvail = last
                guard refreshAvailIndex(), last != s.pointee.cachedAvail else { break }
            }
            let head = availRingEntry(last)
            guard head < ringSize else {
                // No valid id to return it under: the driver is broken, stop the ring.
                s.pointee.broken = true
                break
            }
            last &+= 1
            let first = n &* stride
            // The common chain (see `singleDescriptorBuffer`), against the burst's region.
            let d = table + Int(head) &* SplitRing.descriptorSize
            let flags = UInt16(littleEndian: d.load(fromByteOffset: 12, as: UInt16.self))
            let length = UInt64(UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self)))
            let address = UInt64(littleEndian: d.load(as: UInt64.self))
            let oneDescriptor = flags & (SplitRing.descriptorFlagNext | SplitRing.descriptorFlagIndirect
                                         | SplitRing.descriptorFlagWrite) == 0
            if oneDescriptor, length > 0, length <= maxBytes,
               let base = region.pointer(guestPhysical: address, length: length) {
                segmentsOut[first] = GuestSegment(base: base, length: Int(truncatingIfNeeded: length),
                                                  guestPhysical: address)
                chainsOut[n] = DescriptorChain(head: head, length: Int(truncatingIfNeeded: length), firstSegment: first,
                                               segmentCount: 1)
            } else {
                // The general walk re-reads and re-checks the descriptor itself, and may move the hint.
                chainsOut[n] = walkChain(head: head, slot: n, deviceWrites: false, maxBytes: maxBytes)
                region = memory.window(hint: s.pointee.memoryHint)
            }
            n &+= 1
        }
        s.pointee.lastAvail = last
        s.pointee.cursor.chainCount = n
        if n > 0 { updateAvailEvent() }
        return n
    }
}
