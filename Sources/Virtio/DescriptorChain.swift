/// One chain taken from the available ring, as the data path sees it. Its segments live in the
/// queue's scratch area (`SplitQueue.segments(of:)`) until the next pop or reservation.
@frozen
public struct DescriptorChain {
    /// Head descriptor index: what goes back in the used element.
    public var head: UInt16
    /// Nil for a usable chain. A malformed chain must still be returned with `pushUsed(head:length: 0)`.
    public var error: ChainError?
    /// TX: readable bytes in the chain (header + frame). RX: writable capacity.
    public var length: Int
    /// RX: bytes written so far (the used element's len). TX: 0.
    public var usedLength: UInt32
    public var firstSegment: Int
    public var segmentCount: Int

    @inlinable
    init(head: UInt16, firstSegment: Int) {
        self.head = head
        error = nil
        length = 0
        usedLength = 0
        self.firstSegment = firstSegment
        segmentCount = 0
    }
}
