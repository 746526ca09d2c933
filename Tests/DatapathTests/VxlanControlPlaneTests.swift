import Datapath
import Foundation
import Glibc
import SwitchCore
import Testing
import VhostTestFrontEnd

/// An EVPN control plane driving a vxlan port (`applyVxlanControlPlane`, docs/vxlan-ports.md,
/// "EVPN"): type-3 routes replace the flood list, type-2 routes pin remote MACs to their VTEPs,
/// and a guest that just moved here stays here. Real engine, real UDP on loopback.
@Suite(.serialized) struct VxlanControlPlaneTests {
    typealias Setup = VxlanPortTests.Setup
    static let remoteMAC = MACAddress(0x02, 0xBB, 0, 0, 0, 0x02)
    static let remoteBytes: [UInt8] = [0x02, 0xBB, 0, 0, 0, 0x02]

    private func apply(_ s: Setup, _ plane: VxlanControlPlane) throws {
        try s.h.engine.perform { $0.applyVxlanControlPlane(port: "vx", plane) }.get().get()
    }

    private func fdbPort(_ s: Setup, _ mac: MACAddress) throws -> String? {
        try s.h.engine.perform { e -> String? in
            e.bridge.fdb.lookup(vlan: 10, mac: mac).flatMap { i in
                e.portIndex(named: "vx") == i ? "vx" : e.portIndex(named: "g") == i ? "g" : "other"
            }
        }.get()
    }

    @Test func typeThreeRoutesReplaceTheFloodList() throws {
        // Configured flood list: only 127.0.0.2.
        let s = try Setup(remotes: [VxlanPortTests.remoteA])
        let broadcast = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0x10), length: 90)
        try s.h.frontEnd("g").send(frame: broadcast)
        #expect(s.a.receive(expected: 1).count == 1, "positive control: the configured remote gets the flood")
        #expect(s.b.receive(expected: 0, timeout: 0.3).isEmpty, "127.0.0.3 is not in the configured list")
        try apply(s, VxlanControlPlane(floodList: [VxlanPortTests.remoteB]))
        try s.h.frontEnd("g").send(frame: broadcast)
        #expect(s.b.receive(expected: 1).count == 1, "after the route: 127.0.0.3 gets it")
        #expect(s.a.receive(expected: 0, timeout: 0.3).isEmpty, "and 127.0.0.2, withdrawn, does not")
    }

    @Test func aTypeTwoRouteSendsUnicastToItsVTEPAloneAndItsWithdrawalForgetsIt() throws {
        let s = try Setup()
        try apply(s, VxlanControlPlane(floodList: [VxlanPortTests.remoteA, VxlanPortTests.remoteB],
                                       remoteMACs: [Self.remoteMAC: VxlanPortTests.remoteB]))
        #expect(try fdbPort(s, Self.remoteMAC) == "vx", "the route's MAC is in the FDB on vx without any traffic")
        #expect(try s.remotes().contains { $0.mac == Self.remoteMAC && $0.vtep == VxlanPortTests.remoteB })
        let unicast = HarnessFrames.make(to: Self.remoteBytes, from: HarnessFrames.mac(0x10), length: 90)
        try s.h.frontEnd("g").send(frame: unicast)
        #expect(s.b.receive(expected: 1).first?.inner == unicast, "to the route's VTEP")
        #expect(s.a.receive(expected: 0, timeout: 0.3).isEmpty, "and to no other")
        // Traffic from the MAC through the other VTEP does not move a pinned route.
        let inbound = HarnessFrames.make(to: HarnessFrames.broadcast, from: Self.remoteBytes, length: 80)
        s.a.send(VxlanUnderlay.encapsulate(inbound, vni: VxlanPortTests.vni), port: s.udpPort)
        #expect(try s.h.receive("g", expected: 1) == [inbound])
        #expect(try s.remotes().filter { $0.mac == Self.remoteMAC }.map(\.vtep) == [VxlanPortTests.remoteB],
                "still behind 127.0.0.3 alone: BGP decides where a MAC is")
        // Withdrawn: the FDB forgets it, unicast to it floods to the list again.
        try apply(s, VxlanControlPlane(floodList: [VxlanPortTests.remoteA, VxlanPortTests.remoteB]))
        #expect(try fdbPort(s, Self.remoteMAC) == nil, "forgotten with its route")
        try s.h.frontEnd("g").send(frame: unicast)
        #expect(s.a.receive(expected: 1).count == 1 && s.b.receive(expected: 1).count == 1,
                "unknown again: flooded to both")
    }

    @Test func aGuestThatJustMovedHereStaysHereWhenTheOldRouteIsApplied() throws {
        let s = try Setup()
        let moved = MACAddress(0x02, 0xCC, 0, 0, 0, 0x07)
        // The guest arrives here and sends (learned on g) before BGP withdraws its old route.
        try s.h.frontEnd("g").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast,
                                                             from: [0x02, 0xCC, 0, 0, 0, 0x07], length: 70))
        _ = s.a.receive(expected: 1); _ = s.b.receive(expected: 1)
        #expect(try fdbPort(s, moved) == "g")
        try apply(s, VxlanControlPlane(floodList: [VxlanPortTests.remoteA],
                                       remoteMACs: [moved: VxlanPortTests.remoteA, Self.remoteMAC: VxlanPortTests.remoteA]))
        #expect(try fdbPort(s, moved) == "g", "seen here a moment ago: stays on g")
        #expect(try fdbPort(s, Self.remoteMAC) == "vx", "positive control: a MAC not seen here goes on vx")
    }

    @Test func badControlPlaneInputChangesNothing() throws {
        let s = try Setup(remotes: [VxlanPortTests.remoteA])
        let bad = VxlanControlPlane(floodList: ["10.0.0.300"])
        #expect(throws: EngineError.self) { try self.apply(s, bad) }
        let many = VxlanControlPlane(floodList: (1...65).map { "10.1.0.\($0)" })
        #expect(throws: EngineError.self) { try self.apply(s, many) }
        #expect(throws: EngineError.self) { try s.h.engine.perform { $0.applyVxlanControlPlane(port: "g", VxlanControlPlane()) }.get().get() }
        let broadcast = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0x10), length: 90)
        try s.h.frontEnd("g").send(frame: broadcast)
        #expect(s.a.receive(expected: 1).count == 1, "the configured flood list still works")
    }
}
