import SwitchCore
import VhostUser

/// A port as the engine needs it, already validated and normalised by the config layer.
public struct PortSpecification: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case vhostUser(socketPath: String, mode: SocketMode, queuePairs: Int)
        case uplink(interface: String)
        case tap(interface: String)
        case vxlan(VxlanSettings)
    }

    public enum SocketMode: String, Equatable, Sendable { case server, client }

    public var name: String
    public var kind: Kind
    public var vlan: PortMode
    public var macLimit: Int?
    public var mtu: Int
    /// What this port's guest may make the daemon spend (docs/limits.md).
    public var limits: PortLimits
    /// Source allow-list, isolation, storm control (docs/port-security.md).
    public var security: PortSecurity
    /// vhost-user ports: socket file permissions and allowed peer uids (docs/connections.md).
    public var access: SocketAccessPolicy
    /// Static FDB entries the configuration pins to this port, in VLANs it carries
    /// (docs/reload.md#static-macs). Installed when the port is added, reconciled by `updatePort`.
    public var staticMACs: [StaticMAC]

    public init(name: String, kind: Kind, vlan: PortMode, macLimit: Int?, mtu: Int, limits: PortLimits = PortLimits(),
                security: PortSecurity = .none, access: SocketAccessPolicy = SocketAccessPolicy(),
                staticMACs: [StaticMAC] = []) {
        self.name = name
        self.kind = kind
        self.vlan = vlan
        self.macLimit = macLimit
        self.mtu = mtu
        self.limits = limits
        self.security = security
        self.access = access
        self.staticMACs = staticMACs
    }
}
