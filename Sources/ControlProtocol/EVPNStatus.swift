/// One VNI in `yardctl evpn` (docs/evpn-mirror.md): what the daemon follows of its FRR mirror.
public struct EVPNStatus: Codable, Sendable, Equatable {
    public struct RemoteMAC: Codable, Sendable, Equatable {
        public var mac: String
        public var vtep: String
        public init(mac: String, vtep: String) {
            self.mac = mac
            self.vtep = vtep
        }
    }

    public var vni: UInt32
    public var vlan: UInt16
    public var bridge: String
    public var vxlan: String
    public var port: String
    /// Why the mirror is not followed or written right now (a device missing, a netlink error).
    public var problem: String?
    /// Remote MAC -> VTEP (type-2 routes zebra installed), sorted by MAC.
    public var remoteMACs: [RemoteMAC]
    /// Remote VTEPs of the VNI (type-3 routes), sorted.
    public var floodList: [String]
    /// The switch's MACs in the VLAN written into the mirror bridge for zebra to advertise, sorted.
    public var advertised: [String]

    public init(vni: UInt32, vlan: UInt16, bridge: String, vxlan: String, port: String, problem: String? = nil,
                remoteMACs: [RemoteMAC] = [], floodList: [String] = [], advertised: [String] = []) {
        self.vni = vni
        self.vlan = vlan
        self.bridge = bridge
        self.vxlan = vxlan
        self.port = port
        self.problem = problem
        self.remoteMACs = remoteMACs
        self.floodList = floodList
        self.advertised = advertised
    }
}
