import SwitchCore

/// What one VNI's mirror holds, as followed from the kernel (docs/evpn-mirror.md). The snapshot
/// a consumer (the daemon's `yardctl evpn`, later the native vxlan port) reads: plain values.
public struct EVPNMirrorSnapshot: Equatable, Sendable {
    public var vni: UInt32
    public var vlan: UInt16
    /// Remote MAC -> VTEP: zebra's `extern_learn` entries on the mirror VXLAN device (type-2).
    public var remoteMACs: [MACAddress: String]
    /// Remote VTEPs of the VNI: the all-zero entries on the device (type-3, head-end replication).
    public var floodList: Set<String>
    /// Local MACs written into the mirror bridge as static entries on its veth port (advertised
    /// by zebra as type-2), as the kernel reports them.
    public var advertised: Set<MACAddress>

    public init(vni: UInt32, vlan: UInt16, remoteMACs: [MACAddress: String] = [:], floodList: Set<String> = [],
                advertised: Set<MACAddress> = []) {
        self.vni = vni
        self.vlan = vlan
        self.remoteMACs = remoteMACs
        self.floodList = floodList
        self.advertised = advertised
    }
}

/// One VNI's followed state: applies FDB messages of the mirror's two devices and ignores the rest.
public struct EVPNMirrorState: Sendable {
    public private(set) var snapshot: EVPNMirrorSnapshot
    /// The mirror VXLAN device and the bridge's veth port (0 until resolved).
    public var vxlanIndex: Int32
    public var portIndex: Int32

    public init(vni: UInt32, vlan: UInt16, vxlanIndex: Int32 = 0, portIndex: Int32 = 0) {
        snapshot = EVPNMirrorSnapshot(vni: vni, vlan: vlan)
        self.vxlanIndex = vxlanIndex
        self.portIndex = portIndex
    }

    /// Forgets everything followed (before a fresh dump: a resync or a device made again).
    public mutating func reset() {
        snapshot = EVPNMirrorSnapshot(vni: snapshot.vni, vlan: snapshot.vlan)
    }

    /// True when the message changed the snapshot.
    @discardableResult
    public mutating func apply(_ message: BridgeFDBMessage) -> Bool {
        let added = message.kind == .added
        if message.interfaceIndex == vxlanIndex, vxlanIndex != 0, let vtep = message.destination {
            // The device's own FDB (not the bridge's entries for the vxlan port, which carry no
            // destination). An NDA_VNI other than the device's would belong to a
            // collect-metadata device, which a traditional per-VNI mirror is not: skipped.
            if let vni = message.vni, vni != snapshot.vni { return false }
            if message.mac == .zero {
                return added ? snapshot.floodList.insert(vtep).inserted : snapshot.floodList.remove(vtep) != nil
            }
            if added {
                guard snapshot.remoteMACs[message.mac] != vtep else { return false }
                snapshot.remoteMACs[message.mac] = vtep
                return true
            }
            // A delete names the destination it removes; an entry already moved elsewhere stays.
            guard snapshot.remoteMACs[message.mac] == vtep else { return false }
            snapshot.remoteMACs[message.mac] = nil
            return true
        }
        if message.interfaceIndex == portIndex, portIndex != 0, message.master != nil,
           message.state & BridgeFDBMessage.statePermanent == 0 {
            // The port's own MAC is a permanent local entry: never advertised, never touched.
            if added, message.state & BridgeFDBMessage.stateNoARP != 0 {
                return snapshot.advertised.insert(message.mac).inserted
            }
            return snapshot.advertised.remove(message.mac) != nil
        }
        return false
    }
}

/// The once-a-second reconciliation of the MACs the switch has in the VLAN with what the mirror
/// bridge holds: what to add and what to remove, each sorted (stable logs and tests).
public struct LocalMACDiff: Equatable, Sendable {
    public var add: [MACAddress]
    public var remove: [MACAddress]

    public init(add: [MACAddress] = [], remove: [MACAddress] = []) {
        self.add = add
        self.remove = remove
    }

    /// `wanted`: the switch's MACs of the VLAN on non-fabric ports. Group and zero addresses are
    /// never written (the bridge refuses them as FDB entries of a port; no station owns them), and
    /// a MAC the fabric reports as remote is not claimed back as local from here: the switch learns
    /// remote MACs on the port facing the fabric, which the caller leaves out.
    public init(wanted: Set<MACAddress>, advertised: Set<MACAddress>) {
        let wanted = wanted.filter { $0.isUnicast && $0 != .zero }
        add = wanted.subtracting(advertised).sorted()
        remove = advertised.subtracting(wanted).sorted()
    }

    public var isEmpty: Bool { add.isEmpty && remove.isEmpty }
}
