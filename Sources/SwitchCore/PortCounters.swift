/// One port's counters, copied out for the control plane and metrics.
///
/// How they add up:
/// * Every frame the port received is counted once in `receivedFrames` and ends in exactly one of
///   `forwarded` (a unicast decision), `flooded` (a flood decision, counted once however many
///   copies it made) or `receiveDrops[reason]`:
///   `receivedFrames == forwarded + flooded + totalReceiveDrops`.
/// * Each copy the datapath delivers out of a port counts in that port's `transmittedFrames`;
///   each copy it could not deliver counts in that port's `transmitDrops[reason]`. A flood to N
///   ports therefore adds N to the egress side in total and 1 to the ingress side.
public struct PortCounters: Sendable, Equatable {
    public var receivedFrames: UInt64 = 0
    public var receivedBytes: UInt64 = 0
    public var forwarded: UInt64 = 0
    public var flooded: UInt64 = 0
    public var transmittedFrames: UInt64 = 0
    public var transmittedBytes: UInt64 = 0
    /// Copies the datapath made of the frames this port flooded (one per target port): with
    /// `forwarded`, what the egress side must account for (`Tests/DatapathTests/Accounting.swift`).
    public var floodCopies: UInt64 = 0
    /// Indexed by `DropReason.rawValue`.
    public var receiveDrops: [UInt64] = Array(repeating: 0, count: DropReason.count)
    /// Indexed by `DropReason.rawValue`.
    public var transmitDrops: [UInt64] = Array(repeating: 0, count: DropReason.count)

    public init() {}

    public func receiveDrops(_ reason: DropReason) -> UInt64 { receiveDrops[Int(reason.rawValue)] }
    public func transmitDrops(_ reason: DropReason) -> UInt64 { transmitDrops[Int(reason.rawValue)] }
    public var totalReceiveDrops: UInt64 { receiveDrops.reduce(0, &+) }
    public var totalTransmitDrops: UInt64 { transmitDrops.reduce(0, &+) }

    /// The receive-side identity above.
    public var receiveSideBalances: Bool { receivedFrames == forwarded &+ flooded &+ totalReceiveDrops }
}
