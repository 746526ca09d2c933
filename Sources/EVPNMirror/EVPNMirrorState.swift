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
///
/// A remote MAC is one the kernel would send to a VTEP: the VXLAN device's own ("self") entry
/// gives the VTEP, and the bridge's entry for the MAC must be on the VXLAN port. zebra does not
/// delete its self entry when a remote MAC becomes local (a guest moved here): the bridge entry
/// moving to the veth port is what the kernel forwards by, and so does this view
/// (docs/evpn-mirror.md, seen in 72-evpn-mirror.sh's MAC mobility check).
public struct EVPNMirrorState: Sendable {
    public let vni: UInt32
    public let vlan: UInt16
    /// The mirror VXLAN device and the bridge's veth port (0 until resolved).
    public var vxlanIndex: Int32
    public var portIndex: Int32
    /// The VXLAN device's self entries with a unicast MAC: MAC -> VTEP.
    private var selfEntries: [MACAddress: String] = [:]
    /// The bridge's entries on the mirror's two ports: MAC -> the port it is on.
    private var bridgePorts: [MACAddress: Int32] = [:]
    private var floodList: Set<String> = []
    private var advertised: Set<MACAddress> = []

    public init(vni: UInt32, vlan: UInt16, vxlanIndex: Int32 = 0, portIndex: Int32 = 0) {
        self.vni = vni
        self.vlan = vlan
        self.vxlanIndex = vxlanIndex
        self.portIndex = portIndex
    }

    public var snapshot: EVPNMirrorSnapshot {
        EVPNMirrorSnapshot(vni: vni, vlan: vlan,
                           remoteMACs: selfEntries.filter { bridgePorts[$0.key] == vxlanIndex },
                           floodList: floodList, advertised: advertised)
    }

    /// The static entries on the veth port (what the daemon diffs against each second).
    public var advertisedMACs: Set<MACAddress> { advertised }

    /// Forgets everything followed (before a fresh dump: a resync or a device made again).
    public mutating func reset() {
        selfEntries = [:]
        bridgePorts = [:]
        floodList = []
        advertised = []
    }

    /// True when the message changed what is followed (cheap: no snapshot is built).
    @discardableResult
    public mutating func apply(_ message: BridgeFDBMessage) -> Bool {
        let added = message.kind == .added
        let index = message.interfaceIndex
        guard index != 0, index == vxlanIndex || index == portIndex else { return false }
        if index == vxlanIndex, let vtep = message.destination {
            // The device's own FDB. An NDA_VNI other than the device's would belong to a
            // collect-metadata device, which a traditional per-VNI mirror is not: skipped.
            if let vni = message.vni, vni != self.vni { return false }
            if message.mac == .zero {
                return added ? floodList.insert(vtep).inserted : floodList.remove(vtep) != nil
            }
            if added { return selfEntries.updateValue(vtep, forKey: message.mac) != vtep }
            // A delete names the destination it removes; an entry already moved elsewhere stays.
            guard selfEntries[message.mac] == vtep else { return false }
            selfEntries[message.mac] = nil
            return true
        }
        // The bridge's entries (NDA_MASTER) on the two ports. The port's own address is a
        // permanent local entry: never advertised, never touched.
        guard message.master != nil, message.state & BridgeFDBMessage.statePermanent == 0 else { return false }
        var changed = false
        if added {
            changed = bridgePorts.updateValue(index, forKey: message.mac) != index
        } else if bridgePorts[message.mac] == index {
            bridgePorts[message.mac] = nil
            changed = true
        }
        if index == portIndex, added, message.state & BridgeFDBMessage.stateNoARP != 0 {
            changed = advertised.insert(message.mac).inserted || changed
        } else if index == portIndex || added {
            // Gone from the veth port, or moved from it to the VXLAN port (a replace: no delete
            // is sent for the old port).
            changed = (advertised.remove(message.mac) != nil) || changed
        }
        return changed
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
