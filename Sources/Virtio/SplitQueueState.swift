/// The queue's mutable state behind a pointer: `var`s on a class cost a dynamic exclusivity
/// check per access, and these are touched per frame.
@usableFromInline
struct SplitQueueState {
    /// Next avail ring slot to consume (free-running; what GET_VRING_BASE reports).
    @usableFromInline var lastAvail: UInt16
    /// avail.idx as last read with acquire; re-read only when lastAvail catches up with it.
    @usableFromInline var cachedAvail: UInt16
    /// Next used ring slot to fill (free-running); ahead of `publishedUsed` within a burst.
    @usableFromInline var usedIndex: UInt16
    /// Value last release-stored to used.idx.
    @usableFromInline var publishedUsed: UInt16
    /// EVENT_IDX bookkeeping: used.idx at the last notification, and whether that is still usable.
    @usableFromInline var signalledUsed: UInt16
    @usableFromInline var signalledUsedValid: Bool
    @usableFromInline var notificationsEnabled: Bool
    /// Bit 0: broken (the guest moved an index impossibly; the queue stopped touching the ring).
    /// Bit 1: dirty logging on: RX takes the general path, whose writes are logged
    /// (docs/dirty-log.md). The RX fast path checks the byte against 0, one compare for both, so
    /// logging costs nothing per frame while it is off.
    @usableFromInline var stopFlags: UInt8
    @usableFromInline var broken: Bool {
        @inline(__always) get { stopFlags & 1 != 0 }
        @inline(__always) set { stopFlags = newValue ? stopFlags | 1 : stopFlags & ~1 }
    }
    /// The chains of the last pop or RX reservation and the reservation's write cursor.
    @usableFromInline var cursor: ReservationCursor
    /// RX reservation: where lastAvail goes when it is committed.
    @usableFromInline var reservationEnd: UInt16
    /// This queue's own last-hit region cache (queues may run on different threads).
    @usableFromInline var memoryHint: Int
    /// RX "no room" memo (docs/limits.md): the last general reservation found only
    /// `noRoomCapacity` bytes in the chains between `noRoomCursor` (lastAvail) and `noRoomAvail`
    /// (avail.idx). Until either index moves, a frame needing more is refused without a walk.
    @usableFromInline var noRoomValid: Bool
    @usableFromInline var noRoomMergeable: Bool
    @usableFromInline var noRoomCursor: UInt16
    @usableFromInline var noRoomAvail: UInt16
    @usableFromInline var noRoomCapacity: Int
    /// `walkChain` calls (general path only), for tests and diagnostics.
    @usableFromInline var chainWalks: Int

    @usableFromInline
    init(lastAvail: UInt16, used: UInt16) {
        self.lastAvail = lastAvail
        cachedAvail = lastAvail
        usedIndex = used
        publishedUsed = used
        signalledUsed = used
        signalledUsedValid = false
        notificationsEnabled = true
        stopFlags = 0
        reservationEnd = lastAvail
        cursor = ReservationCursor()
        memoryHint = 0
        noRoomValid = false
        noRoomMergeable = false
        noRoomCursor = 0
        noRoomAvail = 0
        noRoomCapacity = 0
        chainWalks = 0
    }
}
