/// One chain taken from the available ring, as the data path sees it. Its segments live in the
/// queue's scratch area (`SplitQueue.segments(of:)`) until the next pop or reservation.
@frozen
public struct DescriptorChain {
    /// Head descriptor index: what goes back in the used element.
    public internal(set) var head: UInt16
    /// Nil for a usable chain. A malformed chain must still be returned with `pushUsed(head:length: 0)`.
    public internal(set) var error: ChainError?
    /// TX: readable bytes in the chain (header + frame). RX: writable capacity.
    public internal(set) var length: Int
    /// RX: bytes written so far (the used element's len). TX: 0.
    public internal(set) var usedLength: UInt32
    public internal(set) var firstSegment: Int
    public internal(set) var segmentCount: Int

    init(head: UInt16, firstSegment: Int) {
        self.head = head
        error = nil
        length = 0
        usedLength = 0
        self.firstSegment = firstSegment
        segmentCount = 0
    }
}
