/// Split virtqueue layout (virtio 1.x §2.7). All offsets in bytes; all fields little-endian.
/// The byte arithmetic lives here; `SplitRing.Layout` checks a size and ring addresses with it.
public enum SplitRing {
    public static let maxQueueSize = 32768

    public static let descriptorSize = 16
    public static let descriptorFlagNext: UInt16 = 1
    public static let descriptorFlagWrite: UInt16 = 2
    public static let descriptorFlagIndirect: UInt16 = 4

    public static let availFlagNoInterrupt: UInt16 = 1
    public static let usedFlagNoNotify: UInt16 = 1

    /// Alignment the spec requires of each part (and that our atomics rely on).
    public static let descriptorTableAlignment = 16
    public static let availRingAlignment = 2
    public static let usedRingAlignment = 4

    /// Split rings need a power-of-two size (DPDK rejects others), at most 32768.
    @inlinable
    public static func isValidSize(_ size: Int) -> Bool {
        size > 0 && size <= maxQueueSize && size & (size - 1) == 0
    }

    public static func descriptorTableBytes(queueSize: Int) -> Int { descriptorSize * queueSize }
    /// flags, idx, ring[N], and used_event when EVENT_IDX is negotiated.
    public static func availRingBytes(queueSize: Int, eventIndex: Bool) -> Int {
        usedEventOffset(queueSize: queueSize) + (eventIndex ? 2 : 0)
    }
    /// flags, idx, ring[N] of {id, len}, and avail_event when EVENT_IDX is negotiated.
    public static func usedRingBytes(queueSize: Int, eventIndex: Bool) -> Int {
        availEventOffset(queueSize: queueSize) + (eventIndex ? 2 : 0)
    }

    /// EVENT_IDX tails: used_event follows the avail ring's entries, avail_event the used ring's.
    @inlinable
    public static func usedEventOffset(queueSize: Int) -> Int { 4 + 2 * queueSize }
    @inlinable
    public static func availEventOffset(queueSize: Int) -> Int { 4 + 8 * queueSize }

    /// The spec's vring_need_event: notify if `event` lies in the window (old, new] of indices
    /// published since the last notification (all in wrapping 16-bit arithmetic).
    @inlinable
    public static func needsEvent(event: UInt16, new: UInt16, old: UInt16) -> Bool {
        (new &- event &- 1) < (new &- old)
    }
}
