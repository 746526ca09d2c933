#if canImport(Glibc)
import Glibc
#endif

/// What a native vxlan port needs besides what every port has (docs/vxlan-ports.md): its VNI,
/// this host's VTEP address, the static flood list, the UDP port and the underlay's MTU.
/// Addresses are dotted-quad IPv4 text, as configured; the port parses them when it opens.
public struct VxlanSettings: Equatable, Sendable {
    public static let defaultUDPPort: UInt16 = 4789
    public static let defaultUnderlayMTU = 1500

    public var vni: UInt32
    public var local: String
    /// Head-end replication targets for broadcast, multicast and unknown unicast.
    public var remotes: [String]
    public var udpPort: UInt16
    /// Largest IP packet the underlay carries: inner frame + 36 must fit (never fragmented).
    public var underlayMTU: Int
    /// Accept frames from VTEPs not in `remotes` (and learn their MACs); off, they are dropped
    /// `vxlan-remote-not-allowed`.
    public var learnRemotes: Bool

    public init(vni: UInt32, local: String, remotes: [String], udpPort: UInt16 = VxlanSettings.defaultUDPPort,
                underlayMTU: Int = VxlanSettings.defaultUnderlayMTU, learnRemotes: Bool = true) {
        self.vni = vni
        self.local = local
        self.remotes = remotes
        self.udpPort = udpPort
        self.underlayMTU = underlayMTU
        self.learnRemotes = learnRemotes
    }

    /// A dotted-quad IPv4 address in network byte order, or nil.
    public static func address(_ text: String) -> UInt32? {
        var a = in_addr()
        guard inet_pton(AF_INET, text, &a) == 1 else { return nil }
        return a.s_addr
    }
}
