/// A native vxlan port's own keys (docs/vxlan-ports.md), validated: `vni` in 1-16777215, `local`
/// and each of `remotes` a dotted-quad IPv4 address, `port` a UDP port, `underlay-mtu` the largest
/// IP packet of the underlay.
public struct VxlanPortSettings: Equatable, Sendable {
    public static let defaultUDPPort = 4789
    public static let defaultUnderlayMTU = 1500
    /// IPv4 20 + UDP 8 + VXLAN 8 + the inner Ethernet header 14 (RFC 7348's 50 bytes, counted
    /// from the inner frame's L3 MTU): the largest port `mtu` is `underlay-mtu` - 50.
    public static let overhead = 50

    public var vni: Int
    public var local: String
    /// The static flood list (head-end replication); sorted as written, no duplicates.
    public var remotes: [String]
    public var udpPort: Int
    public var underlayMTU: Int
    /// Accept (and learn) VTEPs that are not in `remotes` (default true, as the Linux kernel's
    /// vxlan device does); false drops them as `vxlan-remote-not-allowed`.
    public var learnRemotes: Bool

    public init(vni: Int, local: String, remotes: [String], udpPort: Int = VxlanPortSettings.defaultUDPPort,
                underlayMTU: Int = VxlanPortSettings.defaultUnderlayMTU, learnRemotes: Bool = true) {
        self.vni = vni
        self.local = local
        self.remotes = remotes
        self.udpPort = udpPort
        self.underlayMTU = underlayMTU
        self.learnRemotes = learnRemotes
    }
}
