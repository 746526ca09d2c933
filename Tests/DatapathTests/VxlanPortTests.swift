import Datapath
import Foundation
import Glibc
import SwitchCore
import Testing
import VhostTestFrontEnd

/// The native vxlan port through a real engine (docs/vxlan-ports.md): its underlay is real UDP on
/// loopback (the switch's VTEP on 127.0.0.1, remote VTEPs on 127.0.0.2 and .3 played by plain UDP
/// sockets), its guest side a vhost-user front-end on VLAN 10. Raw sockets need root.
@Suite(.serialized) struct VxlanPortTests {
    static let vni: UInt32 = 100
    static let remoteA = "127.0.0.2", remoteB = "127.0.0.3"

    /// A switch with guest `g` (VLAN 10), `g20` (VLAN 20) and vxlan port `vx` (VLAN 10, VNI 100).
    struct Setup {
        let h: SwitchHarness
        let udpPort: UInt16
        let a: VxlanUnderlay
        let b: VxlanUnderlay

        init(remotes: [String] = [VxlanPortTests.remoteA, VxlanPortTests.remoteB], underlayMTU: Int = 1500,
             learnRemotes: Bool = true, guestOptions: TestFrontEnd.Options = TestFrontEnd.Options()) throws {
            guard getuid() == 0 else { throw VxlanUnderlayError("the vxlan port's raw socket needs root") }
            udpPort = try VxlanUnderlay.freePort()
            a = try VxlanUnderlay(address: VxlanPortTests.remoteA, port: udpPort)
            b = try VxlanUnderlay(address: VxlanPortTests.remoteB, port: udpPort)
            h = try SwitchHarness(ports: [("g", .access(vlan: 10)), ("g20", .access(vlan: 20))])
            let settings = VxlanSettings(vni: VxlanPortTests.vni, local: "127.0.0.1", remotes: remotes,
                                         udpPort: udpPort, underlayMTU: underlayMTU, learnRemotes: learnRemotes)
            let spec = PortSpecification(name: "vx", kind: .vxlan(settings), vlan: .access(vlan: 10), macLimit: nil,
                                         mtu: 1500)
            try h.engine.perform { $0.addPort(spec) }.get().get()
            try h.connect("g", options: guestOptions)
            try h.connect("g20")
        }

        func remotes() throws -> [VxlanRemote] { try h.engine.perform { $0.vxlanRemotes() }.get() }
    }

    static let guestMAC = HarnessFrames.mac(0x10)
    static let remoteMAC: [UInt8] = [0x02, 0xAA, 0, 0, 0, 0x02]

    @Test func aGuestBroadcastLeavesEncapsulatedToEveryRemoteOfTheFloodList() throws {
        let s = try Setup()
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.guestMAC, length: 100)
        try s.h.frontEnd("g").send(frame: frame)
        for remote in [s.a, s.b] {
            let got = remote.receive(expected: 1)
            let d = try #require(got.first, "nothing reached \(remote.address)")
            #expect(got.count == 1)
            #expect(d.from == "127.0.0.1", "sent from the port's local address")
            #expect(Array(d.bytes[0..<4]) == [0x08, 0, 0, 0], "I flag only")
            #expect(d.vni == Self.vni)
            #expect(d.bytes[7] == 0)
            #expect(d.inner == frame, "the inner frame leaves untagged and whole")
            #expect(d.sourcePort >= 49152, "source port from the flow hash, in the dynamic range")
        }
        // The same frame from VLAN 20 stays off the tunnel (positive control above).
        try s.h.frontEnd("g20").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0x20)))
        #expect(s.a.receive(expected: 0, timeout: 0.3).isEmpty && s.b.receive(expected: 0, timeout: 0.1).isEmpty)
        let vx = try s.h.counters("vx")
        #expect(vx.transmittedFrames == 1, "one frame counted once, whatever the replication")
        expectAccountingAddsUp(s.h.engine)
    }

    @Test func anEncapsulatedFrameReachesTheGuestAndItsVTEPIsLearnedForUnicast() throws {
        let s = try Setup()
        let inbound = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.remoteMAC, length: 80)
        s.a.send(VxlanUnderlay.encapsulate(inbound, vni: Self.vni), port: s.udpPort)
        let got = try s.h.receive("g", expected: 1)
        #expect(got == [inbound], "decapsulated, untagged, on VLAN 10")
        #expect(try s.h.receivesNothing("g20"), "not on VLAN 20")

        // The FDB has the remote MAC on vx, and the port knows it is behind 127.0.0.2.
        let vxIndex = try #require(try s.h.engine.perform { $0.portIndex(named: "vx") }.get())
        let m = Self.remoteMAC
        let learned = try s.h.engine.perform {
            $0.bridge.fdb.lookup(vlan: 10, mac: MACAddress(m[0], m[1], m[2], m[3], m[4], m[5]))
        }.get()
        #expect(learned == vxIndex)
        let remotes = try s.remotes()
        #expect(remotes.map(\.vtep) == [Self.remoteA])
        #expect(remotes.first?.mac == MACAddress(m[0], m[1], m[2], m[3], m[4], m[5]))

        // Known unicast goes to that VTEP only; unknown unicast to both (positive control of B).
        let reply = HarnessFrames.make(to: Self.remoteMAC, from: Self.guestMAC, length: 90)
        try s.h.frontEnd("g").send(frame: reply)
        let atA = s.a.receive(expected: 1)
        #expect(atA.map(\.inner) == [reply])
        #expect(s.b.receive(expected: 0, timeout: 0.3).isEmpty, "known unicast replicated to another VTEP")
        let unknown = HarnessFrames.make(to: [0x02, 0xBB, 0, 0, 0, 9], from: Self.guestMAC, length: 90)
        try s.h.frontEnd("g").send(frame: unknown)
        #expect(s.a.receive(expected: 1).map(\.inner) == [unknown])
        #expect(s.b.receive(expected: 1).map(\.inner) == [unknown])
        expectAccountingAddsUp(s.h.engine)
    }

    /// Each bad datagram is dropped under its reason, nothing reaches the guest, and the same
    /// socket then delivers a good one (positive control).
    @Test func badUnderlayInputIsDroppedAndCountedUnderItsReason() throws {
        let s = try Setup()
        let good = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.remoteMAC, length: 64)
        let cases: [(String, [UInt8], DropReason)] = [
            ("truncated header", [0x08, 0, 0, 0], .vxlanTruncated),
            ("I flag missing", VxlanUnderlay.encapsulate(good, vni: Self.vni, flags: 0x00), .vxlanFlags),
            ("reserved flag set", VxlanUnderlay.encapsulate(good, vni: Self.vni, flags: 0x0C), .vxlanFlags),
            ("other VNI", VxlanUnderlay.encapsulate(good, vni: Self.vni + 1), .vxlanWrongVNI),
            ("inner runt", VxlanUnderlay.encapsulate(Array(good[0..<13]), vni: Self.vni), .vxlanInnerRunt),
            ("inner too long", VxlanUnderlay.encapsulate(HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.remoteMAC,
                                                                            length: 1515), vni: Self.vni), .vxlanInnerTooLong),
            ("inner 802.1Q tag", VxlanUnderlay.encapsulate(HarnessFrames.tag(good, vlan: 10), vni: Self.vni),
             .vlanTaggedOnAccess),
        ]
        for (what, datagram, reason) in cases {
            let before = try s.h.counters("vx").receiveDrops(reason)
            s.a.send(datagram, port: s.udpPort)
            var after = before
            for _ in 0..<200 where after == before {
                usleep(5_000)
                after = try s.h.counters("vx").receiveDrops(reason)
            }
            #expect(after == before + 1, "\(what): not counted as \(reason)")
            #expect(try s.h.receivesNothing("g"), "\(what) reached the guest")
        }
        #expect(try s.remotes().isEmpty, "a refused datagram taught the port a remote")
        s.a.send(VxlanUnderlay.encapsulate(good, vni: Self.vni), port: s.udpPort)
        #expect(try s.h.receive("g", expected: 1) == [good])
        // A frame of exactly the port's MTU + 14 is taken.
        let full = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.remoteMAC, length: 1514)
        s.a.send(VxlanUnderlay.encapsulate(full, vni: Self.vni), port: s.udpPort)
        #expect(try s.h.receive("g", expected: 1) == [full])
        expectAccountingAddsUp(s.h.engine)
    }

    @Test func withLearnRemotesOffOnlyTheFloodListIsHeard() throws {
        let s = try Setup(remotes: [Self.remoteA], learnRemotes: false)
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.remoteMAC)
        s.b.send(VxlanUnderlay.encapsulate(frame, vni: Self.vni), port: s.udpPort)
        var dropped: UInt64 = 0
        for _ in 0..<200 where dropped == 0 {
            usleep(5_000)
            dropped = try s.h.counters("vx").receiveDrops(.vxlanRemoteNotAllowed)
        }
        #expect(dropped == 1)
        #expect(try s.h.receivesNothing("g"))
        s.a.send(VxlanUnderlay.encapsulate(frame, vni: Self.vni), port: s.udpPort)
        #expect(try s.h.receive("g", expected: 1) == [frame], "the listed VTEP is heard")
    }

    /// Encapsulated, a frame must fit the underlay's MTU (inner + 36 bytes of IPv4, UDP and
    /// VXLAN headers): a larger one is dropped mtu-exceeded, never fragmented.
    @Test func aFrameTooLargeForTheUnderlayIsDroppedNotFragmented() throws {
        let s = try Setup(underlayMTU: 600)
        let fits = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.guestMAC, length: 564)
        let tooBig = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.guestMAC, length: 565)
        try s.h.frontEnd("g").send(frame: tooBig)
        try s.h.frontEnd("g").send(frame: fits)
        let got = s.a.receive(expected: 1)
        #expect(got.map(\.inner) == [fits])
        #expect(got.first?.bytes.count == 564 + 8, "one datagram, whole")
        #expect(s.a.receive(expected: 0, timeout: 0.3).isEmpty, "the larger frame was sent")
        #expect(try s.h.counters("vx").transmitDrops(.mtuExceeded) == 1)
    }
}
