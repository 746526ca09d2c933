/// The chains of a queue's last pop or RX reservation and the reservation's write cursor: the part
/// of `SplitQueueState` and `PackedQueueState` that is the same for both ring formats, so that one
/// `ReservationWriter` serves both (docs/rx-copy.md).
@usableFromInline
struct ReservationCursor {
    /// Chains in the queue's scratch from the last pop or reservation.
    @usableFromInline var chainCount: Int
    /// An RX reservation is open (reserved, not yet committed or abandoned).
    @usableFromInline var reservationOpen: Bool
    /// Where the next byte goes: chain, segment within the chain, byte offset within the segment.
    @usableFromInline var writeChain: Int
    @usableFromInline var writeSegment: Int
    @usableFromInline var writeOffset: Int

    @usableFromInline
    init() {
        chainCount = 0
        reservationOpen = false
        writeChain = 0
        writeSegment = 0
        writeOffset = 0
    }

    /// A reservation of `chains` chains (in the queue's scratch) opens, its cursor at the start.
    @inlinable @inline(__always)
    mutating func open(chains: Int) {
        chainCount = chains
        reservationOpen = true
        writeChain = 0
        writeSegment = 0
        writeOffset = 0
    }

    /// No reservation and no chains: after a commit, an abandon, or a frame received whole.
    @inlinable @inline(__always)
    mutating func clear() {
        chainCount = 0
        reservationOpen = false
    }
}
