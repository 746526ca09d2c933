/// What a reload changes, port by port (ports are identified by name), so the daemon can leave
/// unchanged ports — and the guests behind them — undisturbed, and apply most changes to a port
/// in place (docs/reload.md: which keys recreate a port).
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
            /// The socket's owner, group, mode or allowed uids (its own or the switch-wide ones).
            case socketAccess
            case staticMACs
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
            if old.socketAccess != new.socketAccess { fields.append(.socketAccess) }
            if old.staticMACs != new.staticMACs { fields.append(.staticMACs) }
            return fields
        }

        /// The fields a running port cannot take in place, so the port is removed and added again
        /// and its guest reconnects: what it is and where it connects (type, socket, mode, queues,
        /// interface: the guest negotiated its queue count, the socket is its connection);
        /// socket-access (the connected peer was admitted under the old rules); a tap port's MTU
        /// (set on the device when it is created). Empty: the change is applied in place.
        public var recreatingFields: [Field] {
            fields.filter { field in
                switch field {
                case .kind, .socketAccess: return true
                case .mtu:
                    switch new.kind {
                    case .tap, .vxlan: return true
                    case .vhostUser, .uplink: return false
                    }
                case .vlan, .macLimit, .limits, .security, .staticMACs: return false
                }
            }
        }

        public var isInPlace: Bool { recreatingFields.isEmpty }

        /// The YAML keys that differ, in the order of the example config, for `yardctl reload`.
        public var keys: [String] {
            var keys: [String] = []
            switch (old.kind, new.kind) {
            case let (.vhostUser(oldPath, oldMode, oldQueues), .vhostUser(newPath, newMode, newQueues)):
                if oldPath != newPath { keys.append("socket") }
                if oldMode != newMode { keys.append("mode") }
                if oldQueues != newQueues { keys.append("queues") }
            case let (.uplink(a), .uplink(b)), let (.tap(a), .tap(b)):
                if a != b { keys.append("interface") }
            default:
                keys.append("type")
            }
            if old.vlan != new.vlan { keys.append("vlan") }
            if old.macLimit != new.macLimit { keys.append("mac-limit") }
            if old.security.sourceMACs != new.security.sourceMACs { keys.append("source-macs") }
            if old.security.isolated != new.security.isolated { keys.append("isolated") }
            if old.security.stormControl != new.security.stormControl { keys.append("storm-control") }
            if old.mtu != new.mtu { keys.append("mtu") }
            if old.limits != new.limits { keys.append("limits") }
            if old.socketAccess != new.socketAccess { keys.append("socket-access") }
            if old.staticMACs != new.staticMACs { keys.append("static-macs") }
            return keys
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
    /// The changes applied to the running port, in the new configuration's order.
    public var changedInPlace: [Change] { changed.filter(\.isInPlace) }
    /// The changes that remove the port and add it again.
    public var changedByRecreation: [Change] { changed.filter { !$0.isInPlace } }
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
