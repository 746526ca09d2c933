/// One switch port, validated: names are unique, vhost-user socket paths absolute and unique,
/// uplink and tap interface names unique and valid kernel interface names.
public struct PortConfiguration: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A vhost-user back-end. `socketPath` is absolute and lexically normalised. `queues` is the
        /// most queue pairs its front-end may use (`queues:`, default `defaultQueues`): the port
        /// offers that many and runs as many as the front-end enables.
        case vhostUser(socketPath: String, mode: VhostUserMode, queues: Int)
        /// An AF_PACKET uplink bound to a host interface.
        case uplink(interface: String)
        /// A Linux TAP device, created by the switch when none of that name exists (docs/tap-ports.md).
        case tap(interface: String)
        /// A native VXLAN tunnel port: one VNI as one access VLAN over an IPv4 underlay
        /// (docs/vxlan-ports.md).
        case vxlan(VxlanPortSettings)
    }

    public static let defaultMTU = 1500
    /// Queue pairs a vhost-user port allows when the YAML names no `queues:`. Enough for QEMU's
    /// usual `queues=` (one per vCPU, libvirt's `<driver queues='N'/>`) up to 8 vCPUs, so such a
    /// guest connects without a key; a pair it never enables costs nothing on the forwarding path
    /// (its rings never start). One it enables costs one TX ring polled every turn by the one
    /// forwarding thread and up to six eventfds: 8 bounds what a guest nobody configured can add to
    /// every other port's turn (docs/vhost-user-protocol.md#queue-pairs).
    public static let defaultQueues = 8

    public var name: String
    public var kind: Kind
    public var vlan: VLANMembership
    /// Maximum number of MACs learned on this port; nil means only the FDB capacity limits it.
    /// Decoded files fill in `switch.mac-limit` for vhost-user ports that set none.
    public var macLimit: Int?
    public var mtu: Int
    /// Effective limits: the port's own `limits:` over the switch-wide ones (docs/limits.md).
    public var limits: LimitSettings
    /// `source-macs`, `isolated`, `storm-control` (docs/port-security.md).
    public var security: PortSecuritySettings
    /// vhost-user ports: the port's own socket-access over the switch-wide one (docs/connections.md).
    public var socketAccess = SocketAccessSettings()
    /// `static-macs:`, sorted by VLAN then MAC, no duplicates (docs/reload.md#static-macs).
    public var staticMACs: [StaticMACSetting] = []

    public init(name: String, kind: Kind, vlan: VLANMembership = .access(1),
                macLimit: Int? = nil, mtu: Int = PortConfiguration.defaultMTU, limits: LimitSettings = LimitSettings(),
                security: PortSecuritySettings = PortSecuritySettings()) {
        self.name = name
        self.kind = kind
        self.vlan = vlan
        self.macLimit = macLimit
        self.mtu = mtu
        self.limits = limits
        self.security = security
    }
}

/// Which side of the vhost-user UNIX socket Switchyard is on.
public enum VhostUserMode: String, CaseIterable, Equatable, Sendable {
    /// Switchyard listens; QEMU connects (`-chardev socket,...` without `server=on`).
    case server
    /// Switchyard connects to a socket QEMU listens on, and keeps reconnecting when it goes away.
    case client
}
