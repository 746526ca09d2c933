/// What a reload changes, port by port (ports are identified by name), so the daemon can leave
/// unchanged ports — and the guests behind them — undisturbed.
public struct ConfigurationDiff: Equatable, Sendable {
    /// One port present in both configurations whose settings differ.
    public struct Change: Equatable, Sendable {
        public enum Field: String, CaseIterable, Equatable, Sendable {
            /// Type, socket path, mode, queues or interface: the port must be re-created.
            case kind
            case vlan
            case macLimit
            case mtu
            /// The port's effective `limits:` (its own, or the switch-wide ones it inherits).
            case limits
            /// Source allow-list, isolation or storm control.
            case security
        }

        public var old: PortConfiguration
        public var new: PortConfiguration

        public init(old: PortConfiguration, new: PortConfiguration) {
            self.old = old
            self.new = new
        }

        public var fields: [Field] {
            var fields: [Field] = []
            if old.kind != new.kind { fields.append(.kind) }
            if old.vlan != new.vlan { fields.append(.vlan) }
            if old.macLimit != new.macLimit { fields.append(.macLimit) }
            if old.mtu != new.mtu { fields.append(.mtu) }
            if old.limits != new.limits { fields.append(.limits) }
            if old.security != new.security { fields.append(.security) }
            return fields
        }
    }

    /// In the new configuration's order.
    public var added: [PortConfiguration]
    /// In the old configuration's order.
    public var removed: [PortConfiguration]
    /// In the new configuration's order.
    public var changed: [Change]
    /// In the new configuration's order.
    public var unchanged: [PortConfiguration]
    /// Whether anything in the `switch:` section differs.
    public var settingsChanged: Bool

    public var isEmpty: Bool {
        added.isEmpty && removed.isEmpty && changed.isEmpty && !settingsChanged
    }

    public init(added: [PortConfiguration] = [], removed: [PortConfiguration] = [],
                changed: [Change] = [], unchanged: [PortConfiguration] = [], settingsChanged: Bool = false) {
        self.added = added
        self.removed = removed
        self.changed = changed
        self.unchanged = unchanged
        self.settingsChanged = settingsChanged
    }

    public static func diff(old: SwitchConfiguration, new: SwitchConfiguration) -> ConfigurationDiff {
        var result = diff(old: old.ports, new: new.ports)
        result.settingsChanged = old.settings != new.settings
        return result
    }

    /// Port names are unique in a validated configuration; should they not be, the first wins.
    public static func diff(old: [PortConfiguration], new: [PortConfiguration]) -> ConfigurationDiff {
        var oldByName: [String: PortConfiguration] = [:]
        for port in old where oldByName[port.name] == nil { oldByName[port.name] = port }
        let newNames = Set(new.map(\.name))

        var result = ConfigurationDiff()
        for port in new {
            guard let previous = oldByName[port.name] else {
                result.added.append(port)
                continue
            }
            if previous == port {
                result.unchanged.append(port)
            } else {
                result.changed.append(Change(old: previous, new: port))
            }
        }
        result.removed = old.filter { !newNames.contains($0.name) }
        return result
    }
}
