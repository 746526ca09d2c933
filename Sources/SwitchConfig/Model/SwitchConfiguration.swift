/// A validated, normalised switch configuration: what the daemon builds its datapath from.
///
/// Every value in here has already been range-checked and every path resolved, so consumers never
/// re-validate; two configurations describing the same switch compare equal (trunk VLAN lists are
/// merged and sorted, CPU lists deduplicated, socket paths made absolute and lexically normalised).
public struct SwitchConfiguration: Equatable, Sendable {
    public var settings: SwitchSettings
    public var ports: [PortConfiguration]
    /// Port mirrors (SPAN), docs/mirroring.md; every port they name is in `ports`.
    public var mirrors: [MirrorConfiguration]
    /// EVPN control-plane mirrors, one per VNI (docs/evpn-mirror.md); read at start only.
    public var evpn: [EVPNMirrorConfiguration]

    public init(settings: SwitchSettings = SwitchSettings(), ports: [PortConfiguration] = [],
                mirrors: [MirrorConfiguration] = [], evpn: [EVPNMirrorConfiguration] = []) {
        self.settings = settings
        self.ports = ports
        self.mirrors = mirrors
        self.evpn = evpn
    }

    public func port(named name: String) -> PortConfiguration? {
        ports.first { $0.name == name }
    }
}
