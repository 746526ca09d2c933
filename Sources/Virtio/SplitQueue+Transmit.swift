extension SplitQueue {
    /// Takes up to `maxChains` (capped by `limits.maxChains`) available chains: the TX burst.
    /// Results are in `chains` / `segments(of:)`; every returned chain, malformed or not, must go
    /// back with `pushUsed(head:length: 0)`. Returns 0 when the ring is empty or broken.
    public func popAvailable(maxChains: Int) -> Int {
        let s = state
        s.pointee.chainCount = 0
        s.pointee.reservationOpen = false
        guard !s.pointee.broken else { return 0 }
        let limit = min(maxChains, limits.maxChains)
        let maxBytes = UInt64(limits.maxTransmitBytes)
        let stride = limits.maxSegmentsPerChain
        var n = 0
        while n < limit {
            if s.pointee.lastAvail == s.pointee.cachedAvail {
                guard refreshAvailIndex(), s.pointee.lastAvail != s.pointee.cachedAvail else { break }
            }
            let head = availRingEntry(s.pointee.lastAvail)
            guard head < size else {
                // No valid id to return it under: the driver is broken, stop the ring.
                s.pointee.broken = true
                break
            }
            s.pointee.lastAvail &+= 1
            let first = n &* stride
            let length = translateSingleDescriptor(head: head, segment: first, deviceWrites: false, maxBytes: maxBytes)
            chainStorage[n] = length > 0
                ? DescriptorChain(head: head, length: length, firstSegment: first, segmentCount: 1)
                : walkChain(head: head, slot: n, deviceWrites: false, maxBytes: maxBytes)
            n &+= 1
        }
        s.pointee.chainCount = n
        if n > 0 { updateAvailEvent() }
        return n
    }
}
