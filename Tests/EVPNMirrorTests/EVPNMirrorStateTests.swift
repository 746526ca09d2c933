import EVPNMirror
import SwitchCore
import Testing

/// Hand-made netlink messages as the kernel sends them (include/uapi/linux/neighbour.h layout).
func fdbMessage(delete: Bool = false, family: UInt8 = 7, index: Int32, mac: [UInt8], dst: [UInt8]? = nil,
                vni: UInt32? = nil, master: Int32? = nil, state: UInt16 = 0x02, flags: UInt8 = 0) -> [UInt8] {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        let bytes = le(UInt16(4 + value.count)) + le(type) + value
        return bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
    }
    var body: [UInt8] = [family, 0, 0, 0] + le(index) + le(state) + [flags, 0]
    body += attribute(2, mac)
    if let dst { body += attribute(1, dst) }
    if let vni { body += attribute(7, le(vni)) }
    if let master { body += attribute(9, le(master)) }
    let header = le(UInt32(16 + body.count)) + le(UInt16(delete ? 29 : 28)) + le(UInt16(0)) + le(UInt32(0)) + le(UInt32(0))
    return header + body
}

func parse(_ bytes: [UInt8]) -> BridgeFDBMessage? { bytes.withUnsafeBytes { BridgeFDBMessage(message: $0) } }

let remoteMAC: [UInt8] = [0x52, 0x54, 0x00, 0xe7, 0x00, 0x0b]
let vtepB: [UInt8] = [10, 255, 1, 2]

@Suite struct BridgeFDBMessageTests {
    @Test func parsesARemoteEntryOfAVXLANDevice() throws {
        let m = try #require(parse(fdbMessage(index: 5, mac: remoteMAC, dst: vtepB, vni: 100, flags: 0x10 | 0x02)))
        #expect(m.kind == .added)
        #expect(m.interfaceIndex == 5)
        #expect(m.mac == MACAddress("52:54:00:e7:00:0b"))
        #expect(m.destination == "10.255.1.2")
        #expect(m.vni == 100)
        #expect(m.flags & BridgeFDBMessage.flagExternLearned != 0)
        let removed = try #require(parse(fdbMessage(delete: true, index: 5, mac: remoteMAC, dst: vtepB)))
        #expect(removed.kind == .removed && removed.vni == nil)
    }

    @Test func skipsOtherFamiliesTruncatedAndOverlongMessages() {
        // Positive control: the same message with family AF_BRIDGE parses.
        #expect(parse(fdbMessage(index: 5, mac: remoteMAC)) != nil)
        #expect(parse(fdbMessage(family: 2, index: 5, mac: remoteMAC)) == nil)  // AF_INET ARP entry
        let whole = fdbMessage(index: 5, mac: remoteMAC, dst: vtepB)
        #expect(parse(Array(whole.dropLast(4))) == nil)  // nlmsg_len beyond the bytes
        var lying = whole
        lying[16 + 12] = 200  // first attribute's length past the message
        #expect(parse(lying) == nil)
        #expect(parse(fdbMessage(index: 5, mac: [1, 2, 3])) == nil)  // no 6-byte NDA_LLADDR
    }
}

@Suite struct EVPNMirrorStateTests {
    func state() -> EVPNMirrorState { EVPNMirrorState(vni: 100, vlan: 10, vxlanIndex: 5, portIndex: 7) }

    /// zebra installs a remote MAC as a self entry with the VTEP; the kernel adds the bridge's
    /// extern_learn entry on the vxlan port (master 4) for it.
    func installRemote(_ s: inout EVPNMirrorState, _ mac: [UInt8], _ dst: [UInt8]) throws {
        #expect(s.apply(try #require(parse(fdbMessage(index: 5, mac: mac, dst: dst, flags: 0x12)))))
        #expect(s.apply(try #require(parse(fdbMessage(index: 5, mac: mac, master: 4, state: 0x02, flags: 0x14)))))
    }

    @Test func followsRemoteMACsAndFloodListOfTheMirrorDeviceOnly() throws {
        var s = state()
        try installRemote(&s, remoteMAC, vtepB)
        #expect(s.apply(try #require(parse(fdbMessage(index: 5, mac: [0, 0, 0, 0, 0, 0], dst: vtepB, flags: 0x02)))))
        // Another VXLAN device's entry: ignored.
        #expect(!s.apply(try #require(parse(fdbMessage(index: 6, mac: [2, 0, 0, 0, 0, 1], dst: [10, 0, 0, 9])))))
        // A self entry whose bridge entry is not on the vxlan port is not forwarded there: not remote.
        #expect(s.apply(try #require(parse(fdbMessage(index: 5, mac: [2, 0, 0, 0, 0, 2], dst: vtepB)))))
        // An entry for another VNI (collect-metadata style): ignored.
        #expect(!s.apply(try #require(parse(fdbMessage(index: 5, mac: [2, 0, 0, 0, 0, 3], dst: vtepB, vni: 200)))))
        #expect(s.snapshot.remoteMACs == [MACAddress("52:54:00:e7:00:0b")!: "10.255.1.2"])
        #expect(s.snapshot.floodList == ["10.255.1.2"])
        // A delete naming another destination leaves the entry (the MAC moved there already).
        #expect(!s.apply(try #require(parse(fdbMessage(delete: true, index: 5, mac: remoteMAC, dst: [10, 255, 1, 3])))))
        #expect(s.apply(try #require(parse(fdbMessage(delete: true, index: 5, mac: remoteMAC, dst: vtepB)))))
        #expect(s.apply(try #require(parse(fdbMessage(delete: true, index: 5, mac: [0, 0, 0, 0, 0, 0], dst: vtepB)))))
        #expect(s.snapshot.remoteMACs.isEmpty && s.snapshot.floodList.isEmpty)
    }

    @Test func macMovedToAnotherVTEPTakesTheNewDestination() throws {
        var s = state()
        try installRemote(&s, remoteMAC, vtepB)
        s.apply(try #require(parse(fdbMessage(index: 5, mac: remoteMAC, dst: [10, 255, 1, 3]))))
        #expect(s.snapshot.remoteMACs[MACAddress("52:54:00:e7:00:0b")!] == "10.255.1.3")
    }

    /// A guest moved here: the daemon's static entry replaces the bridge's entry on the vxlan
    /// port; zebra leaves its self entry. The MAC is local, not remote, until it goes away.
    @Test func aRemoteMACWrittenAsLocalIsNoLongerRemote() throws {
        var s = state()
        let mac = MACAddress("52:54:00:e7:00:0b")!
        try installRemote(&s, remoteMAC, vtepB)
        #expect(s.snapshot.remoteMACs[mac] == "10.255.1.2")  // positive control
        #expect(s.apply(try #require(parse(fdbMessage(index: 7, mac: remoteMAC, master: 4, state: 0x40, flags: 0x04)))))
        #expect(s.snapshot.remoteMACs[mac] == nil)
        #expect(s.snapshot.advertised == [mac])
        #expect(s.apply(try #require(parse(fdbMessage(delete: true, index: 7, mac: remoteMAC, master: 4, state: 0x40)))))
        #expect(s.snapshot.remoteMACs.isEmpty && s.snapshot.advertised.isEmpty)
        // zebra installs it remote again (the guest moved back): remote once more, not advertised.
        #expect(s.apply(try #require(parse(fdbMessage(index: 5, mac: remoteMAC, master: 4, state: 0x02, flags: 0x14)))))
        #expect(s.snapshot.remoteMACs[mac] == "10.255.1.2" && s.snapshot.advertised.isEmpty)
    }

    @Test func advertisedAreStaticMasterEntriesOnThePortNotItsPermanentOwnMAC() throws {
        var s = state()
        let local: [UInt8] = [0x52, 0x54, 0x00, 0xe7, 0x00, 0x0a]
        #expect(s.apply(try #require(parse(fdbMessage(index: 7, mac: local, master: 4, state: 0x40, flags: 0x04)))))
        #expect(!s.apply(try #require(parse(fdbMessage(index: 7, mac: [2, 9, 9, 9, 9, 9], master: 4, state: 0x80)))))
        #expect(!s.apply(try #require(parse(fdbMessage(index: 7, mac: [2, 9, 9, 9, 9, 8], state: 0x40)))))  // self, no master
        #expect(s.snapshot.advertised == [MACAddress("52:54:00:e7:00:0a")!])
        #expect(s.apply(try #require(parse(fdbMessage(delete: true, index: 7, mac: local, master: 4, state: 0x40)))))
        #expect(s.snapshot.advertised.isEmpty)
        #expect(s.advertisedMACs.isEmpty)
    }
}

@Suite struct LocalMACDiffTests {
    let a = MACAddress("52:54:00:00:00:01")!, b = MACAddress("52:54:00:00:00:02")!, c = MACAddress("52:54:00:00:00:03")!

    @Test func addsWhatIsNewRemovesWhatIsGoneKeepsTheRest() {
        let diff = LocalMACDiff(wanted: [a, b], advertised: [b, c])
        #expect(diff == LocalMACDiff(add: [a], remove: [c]))
        #expect(LocalMACDiff(wanted: [a, b], advertised: [a, b]).isEmpty)
    }

    @Test func neverAdvertisesGroupOrZeroAddresses() {
        let group = MACAddress("01:00:5e:00:00:01")!
        let diff = LocalMACDiff(wanted: [a, group, .zero, .broadcast], advertised: [])
        #expect(diff.add == [a])  // positive control: the unicast one is added
    }
}
