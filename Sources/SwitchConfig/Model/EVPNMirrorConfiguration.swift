/// One `evpn:` entry (docs/evpn-mirror.md): VLAN `vlan` of the switch is VNI `vni` of an EVPN
/// fabric, and FRR's view of it is a kernel bridge `bridge` holding the VXLAN device `vxlan` (the
/// "mirror": zebra reads and writes its FDB) and one end `port` of a veth pair. The daemon writes
/// the VLAN's local MACs into the bridge as static entries on `port` (zebra advertises them as
/// type-2 routes) and follows the remote MACs and flood list zebra installs on `vxlan`.
public struct EVPNMirrorConfiguration: Equatable, Sendable {
    public var vni: UInt32
    public var vlan: UInt16
    public var bridge: String
    public var vxlan: String
    public var port: String

    public init(vni: UInt32, vlan: UInt16, bridge: String, vxlan: String, port: String) {
        self.vni = vni
        self.vlan = vlan
        self.bridge = bridge
        self.vxlan = vxlan
        self.port = port
    }
}
