import GuestMemory

/// What the datapath uses of a virtqueue, whatever its ring format: the seam a packed ring
/// (virtio 1.1, VIRTIO_F_RING_PACKED) implements next to `SplitQueue`. The engine picks the
/// concrete ring once per burst (as DPDK's `virtio_dev_rx` picks split or packed) and calls these
/// through generics specialized for it: no witness-table call on the per-frame path
/// (docs/hot-path.md, "Port table and ring seam").
///
/// TX (device reads): `popAvailable` → `chains` / `segments(of:)` → `pushUsedTransmitted(count:)` →
/// `publishUsed()` → `needsNotification()`.
/// RX (device writes): `receiveFrame` (one call), or `reserve` → `writeFrame` / `writeReserved` →
/// `commitReservation()`; then `publishUsed()` once per burst → `needsNotification()`.
public protocol Virtqueue: AnyObject {
    // MARK: TX
    /// Takes up to `maxChains` available chains; every one goes back with `pushUsedTransmitted`.
    func popAvailable(maxChains: Int) -> Int
    /// The chains of the last pop (or reservation), valid until the next of either.
    var chains: UnsafeBufferPointer<DescriptorChain> { get }
    /// The translated pieces of `chain`, in chain order.
    func segments(of chain: DescriptorChain) -> UnsafeBufferPointer<GuestSegment>
    /// Returns the first `count` chains of the last pop, in order, with length 0.
    func pushUsedTransmitted(count: Int)

    // MARK: RX
    /// Reserves, writes `header`, `prefix` and the bytes of `source` after `skipping`, commits.
    func receiveFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                            prefix: UnsafeRawPointer?, prefixLength: Int,
                                            from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                            mergeable: Bool) -> ReceiveReservation
    func reserve(bytes: Int, mergeable: Bool) -> ReceiveReservation
    /// Writes the virtio-net header, then `frame`, into the open reservation.
    @discardableResult
    func writeFrame(header: VirtioNetHeader, headerLength: Int, frame: UnsafeRawBufferPointer) -> Int
    /// Appends the bytes of `source` after `skipping` to the open reservation.
    @discardableResult
    func writeReserved<Segment: ByteSegment>(from source: UnsafeBufferPointer<Segment>, skipping: Int) -> Int
    @discardableResult
    func commitReservation() -> Int

    // MARK: Both directions
    /// Makes the used entries pushed since the last call visible to the driver.
    @discardableResult
    func publishUsed() -> Int
    /// Whether the driver wants an interrupt for what was published (once per burst).
    func needsNotification() -> Bool
    /// Re-enables kicks before the engine sleeps; true if work is already there.
    @discardableResult
    func enableNotifications() -> Bool
    func disableNotifications()
    /// Available entries seen but not yet taken (a sign of backlog, no read of guest memory).
    var knownPending: Int { get }
    /// The driver broke the ring; the queue no longer touches it (docs/port-faults.md).
    var isBroken: Bool { get }
    /// What GET_VRING_BASE reports when the ring stops.
    var lastAvailIndex: UInt16 { get }
}
