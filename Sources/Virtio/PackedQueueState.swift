/// A packed queue's mutable state behind a pointer (as `SplitQueueState`: `var`s on a class cost
/// a dynamic exclusivity check per access). Indices are ring slots 0..<size with a wrap counter
/// each (virtio 1.1 §2.8.1), not free-running like a split ring's.
@usableFromInline
struct PackedQueueState {
    /// Next ring slot to look at for an available descriptor, and the driver's wrap counter there.
    @usableFromInline var lastAvail: UInt16
    @usableFromInline var availWrap: Bool
    /// Next ring slot to write a used descriptor into, and the device's used wrap counter. Every
    /// chain is completed in order, so after a commit or a completed burst it equals lastAvail.
    @usableFromInline var usedIndex: UInt16
    @usableFromInline var usedWrap: Bool
    /// Used descriptors written since the last `publishUsed()`.
    @usableFromInline var unpublished: Int
    /// The first used descriptor since the last publish (at slot `batchStart`) has its id and
    /// length written but its flags stored here instead, until `publishUsed()`: the driver reads
    /// used descriptors in ring order, so none of the batch is visible before it
    /// (docs/packed-rings.md, "Used descriptors").
    @usableFromInline var batchStart: UInt16
    @usableFromInline var heldFlags: UInt16
    /// The used slot and wrap at the last `publishUsed()` while logging: descriptors from here to
    /// `usedIndex` were written back since, and are marked in the dirty log (docs/dirty-log.md).
    @usableFromInline var loggedUsed: UInt16
    @usableFromInline var loggedWrap: Bool
    /// EVENT_IDX (driver event area in DESC mode): the used slot and wrap at the last interrupt.
    @usableFromInline var signalledUsed: UInt16
    @usableFromInline var signalledWrap: Bool
    @usableFromInline var signalledUsedValid: Bool
    @usableFromInline var notificationsEnabled: Bool
    /// Bit 0: broken (the queue stopped touching the ring). Bit 1: dirty logging on: RX leaves
    /// its one-call fast path for the general one, whose writes are logged (docs/dirty-log.md,
    /// "Packed rings"); one compare against 0 tests both, as `SplitQueueState.stopFlags` does.
    @usableFromInline var stopFlags: UInt8
    @usableFromInline var broken: Bool {
        @inline(__always) get { stopFlags & 1 != 0 }
        @inline(__always) set { stopFlags = newValue ? stopFlags | 1 : stopFlags & ~1 }
    }
    /// The last pop took as many chains as it was allowed (a cheap sign of backlog).
    @usableFromInline var sawMore: Bool
    /// The chains of the last pop or RX reservation and the reservation's write cursor.
    @usableFromInline var cursor: ReservationCursor
    /// RX reservation: where lastAvail goes when it is committed.
    @usableFromInline var reservationEnd: UInt16
    @usableFromInline var reservationEndWrap: Bool
    @usableFromInline var memoryHint: Int
    /// RX "no room" memo (docs/limits.md): the last general reservation from `noRoomCursor` found
    /// `noRoomCapacity` bytes before slot `noRoomEnd` (wrap `noRoomEndWrap`), which was not
    /// available. Until that slot becomes available, a frame needing more is refused at once.
    @usableFromInline var noRoomValid: Bool
    @usableFromInline var noRoomMergeable: Bool
    @usableFromInline var noRoomCursor: UInt16
    @usableFromInline var noRoomEnd: UInt16
    @usableFromInline var noRoomEndWrap: Bool
    @usableFromInline var noRoomCapacity: Int
    @usableFromInline var chainWalks: Int

    @usableFromInline
    init(lastAvail: UInt16, wrap: Bool) {
        self.lastAvail = lastAvail
        availWrap = wrap
        usedIndex = lastAvail
        usedWrap = wrap
        unpublished = 0
        batchStart = lastAvail
        heldFlags = 0
        loggedUsed = lastAvail
        loggedWrap = wrap
        signalledUsed = lastAvail
        signalledWrap = wrap
        signalledUsedValid = false
        notificationsEnabled = true
        stopFlags = 0
        sawMore = false
        reservationEnd = lastAvail
        reservationEndWrap = wrap
        cursor = ReservationCursor()
        memoryHint = 0
        noRoomValid = false
        noRoomMergeable = false
        noRoomCursor = 0
        noRoomEnd = 0
        noRoomEndWrap = false
        noRoomCapacity = 0
        chainWalks = 0
    }
}
