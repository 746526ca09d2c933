/// A port's security keys (docs/port-security.md): `source-macs`, `isolated`, `storm-control`.
public struct PortSecuritySettings: Equatable, Sendable {
    /// Allowed source MACs as 48-bit values in wire order (`52:54:00:00:00:01` is
    /// `0x5254_0000_0001`), sorted and deduplicated; nil = any unicast source.
    public var sourceMACs: [UInt64]?
    public var isolated: Bool
    public var stormControl: StormControlSettings

    public init(sourceMACs: [UInt64]? = nil, isolated: Bool = false,
                stormControl: StormControlSettings = StormControlSettings()) {
        self.sourceMACs = sourceMACs
        self.isolated = isolated
        self.stormControl = stormControl
    }
}

/// Flood limits in frames per second per port; nil = no limit (the default).
public struct StormControlSettings: Equatable, Sendable {
    public var broadcast: Int?
    public var multicast: Int?
    public var unknownUnicast: Int?

    public init(broadcast: Int? = nil, multicast: Int? = nil, unknownUnicast: Int? = nil) {
        self.broadcast = broadcast
        self.multicast = multicast
        self.unknownUnicast = unknownUnicast
    }
}
