/// What the uplink socket itself saw, beyond what the switch core counts per port. Plain
/// counters, never reset; `kernelDrops` comes from PACKET_STATISTICS (frames the kernel could not
/// put in the RX ring because every block was still ours).
public struct UplinkCounters: Equatable, Sendable {
    /// Frames handed to the switch by `receiveBurst`.
    public var receivedFrames: UInt64 = 0
    public var receivedBytes: UInt64 = 0
    /// Received frames whose 802.1Q/802.1ad tag the kernel had stripped and we put back.
    public var tagsRestored: UInt64 = 0
    /// Received frames longer than a ring block can hold (cut short by the kernel): dropped.
    public var receiveTruncated: UInt64 = 0
    /// Received frames shorter than an Ethernet header or pointing outside their block: dropped.
    public var receiveMalformed: UInt64 = 0
    /// Frames the host itself sent on the interface that still reached the ring: dropped
    /// (PACKET_IGNORE_OUTGOING normally keeps them out).
    public var outgoingIgnored: UInt64 = 0
    /// From PACKET_STATISTICS, accumulated by `collectKernelStatistics()`.
    public var kernelDrops: UInt64 = 0

    /// Frames accepted by `transmit` (queued in the TX ring or sent directly).
    public var transmittedFrames: UInt64 = 0
    public var transmittedBytes: UInt64 = 0
    /// `transmit` refused: staging full and the kernel would not take the staged frames.
    public var transmitRingFull: UInt64 = 0
    /// `transmit` refused: longer than MTU + Ethernet header (+ tag) without GSO.
    public var mtuExceeded: UInt64 = 0
    /// `transmit` refused a malformed request, or the kernel rejected a GSO frame.
    public var transmitErrors: UInt64 = 0
    /// Accepted by `transmit` but not taken by the kernel at `flush` (link down, NIC queue full
    /// with PACKET_QDISC_BYPASS): dropped, not retried.
    public var transmitDropped: UInt64 = 0
    /// The bytes of those frames (without the virtio-net header), as `transmittedBytes` counted them.
    public var transmitDroppedBytes: UInt64 = 0
    /// Frames sent through the ringless socket: GSO frames, or larger than a TX slot.
    public var largeFrames: UInt64 = 0

    public init() {}
}
