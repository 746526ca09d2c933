/// A validated, normalised switch configuration: what the daemon builds its datapath from.
///
/// Every value in here has already been range-checked and every path resolved, so consumers never
/// re-validate; two configurations describing the same switch compare equal (trunk VLAN lists are
/// merged and sorted, CPU lists deduplicated, socket paths made absolute and lexically normalised).
public struct SwitchConfiguration: Equatable, Sendable {
    public var settings: SwitchSettings
    public var ports: [PortConfiguration]

    public init(settings: SwitchSettings = SwitchSettings(), ports: [PortConfiguration] = []) {
        self.settings = settings
        self.ports = ports
    }

    public func port(named name: String) -> PortConfiguration? {
        ports.first { $0.name == name }
    }
}
