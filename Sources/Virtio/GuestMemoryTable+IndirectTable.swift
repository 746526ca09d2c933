import GuestMemory

extension GuestMemoryTable {
    /// Copies an indirect descriptor table (which may straddle regions) into `copy`, our own
    /// buffer, where the guest cannot change it under the walk (docs/red-team.md). `scratch`
    /// takes the table's pieces, at most `SplitQueue.indirectSegmentCapacity`. False when the
    /// table is not all inside guest memory. For both ring formats.
    @usableFromInline
    func copyIndirectTable(address: UInt64, length: Int, into copy: UnsafeMutableRawPointer,
                           scratch: UnsafeMutablePointer<GuestSegment>, hint: inout Int) -> Bool {
        var pieces = 0
        let outcome = appendSegments(guestPhysical: address, length: UInt64(length), to: scratch, count: &pieces,
                                     capacity: SplitQueue.indirectSegmentCapacity, hint: &hint)
        guard outcome == .ok else { return false }
        var offset = 0
        for i in 0..<pieces {
            let piece = scratch[i]
            (copy + offset).copyMemory(from: piece.base, byteCount: piece.length)
            offset &+= piece.length
        }
        return true
    }
}
