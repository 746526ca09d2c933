/// A port's security settings (docs/port-security.md): which source addresses it may use, whether
/// it is isolated from the other isolated ports, and how many broadcast, multicast and
/// unknown-unicast frames per second it may flood. The default is all off.
public struct PortSecurity: Equatable, Sendable {
    /// The only source MACs the port may send from (OpenStack port security's allowed addresses);
    /// nil accepts any unicast source. Each must be unicast and not 00:00:00:00:00:00.
    public var allowedSources: [MACAddress]?
    /// An isolated port talks only to non-isolated ports (Linux bridge `isolated on`, a private
    /// VLAN's isolated port): unicast to another isolated port is dropped `port-isolated`, floods
    /// skip isolated ports.
    public var isolated: Bool
    public var stormControl: StormControl

    public init(allowedSources: [MACAddress]? = nil, isolated: Bool = false, stormControl: StormControl = .off) {
        self.allowedSources = allowedSources
        self.isolated = isolated
        self.stormControl = stormControl
    }

    public static let none = PortSecurity()

    /// Whether `decide` must take the guarded path for this port.
    var needsGuard: Bool { allowedSources != nil || isolated || !stormControl.isOff }
}

/// Flood rates a port may not exceed, in frames per second; nil = no limit. Each class has its
/// own token bucket holding one second's worth (the burst) and refilled once per second of the
/// engine's clock, the 1-second interval hardware storm control measures over.
public struct StormControl: Equatable, Sendable {
    /// Frames to ff:ff:ff:ff:ff:ff.
    public var broadcast: UInt32?
    /// Frames to any other group address.
    public var multicast: UInt32?
    /// Unicast frames to an address the FDB does not know (flooded).
    public var unknownUnicast: UInt32?

    public init(broadcast: UInt32? = nil, multicast: UInt32? = nil, unknownUnicast: UInt32? = nil) {
        self.broadcast = broadcast
        self.multicast = multicast
        self.unknownUnicast = unknownUnicast
    }

    public static let off = StormControl()

    public var isOff: Bool { broadcast == nil && multicast == nil && unknownUnicast == nil }
}
