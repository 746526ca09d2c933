import Datapath
import Foundation
import SwitchCore
import Testing
import VhostTestFrontEnd

/// A reload applied in place (docs/reload.md): `Engine.updatePort` changes a running port's VLANs,
/// MTU, security and static MACs between bursts, while its front-end stays connected over the same
/// socket and shared memory; the FDB keeps what is still valid.
@Suite(.serialized) struct ReloadInPlaceTests {
    /// `HarnessFrames.mac(last)` as the FDB holds it.
    private func station(_ last: UInt8) -> MACAddress { MACAddress(0x52, 0x54, 0x00, 0x00, 0x00, last) }

    /// The running spec of `name` changed by `edit`, applied in place.
    @discardableResult
    private func update(_ h: SwitchHarness, _ name: String, _ edit: @escaping (inout PortSpecification) -> Void) throws -> PortUpdate {
        try h.engine.perform { e -> Result<PortUpdate, EngineError> in
            guard var spec = e.portSpecification(named: name) else { return .failure(.noSuchPort(name)) }
            edit(&spec)
            return e.updatePort(spec)
        }.get().get()
    }

    private func lookup(_ h: SwitchHarness, vlan: UInt16, _ last: UInt8) throws -> String? {
        try h.engine.perform { e -> String? in
            guard let port = e.bridge.fdb.lookup(vlan: vlan, mac: station(last)) else { return nil }
            return e.bridge.snapshot(port: port)?.name
        }.get()
    }

    private func isStatic(_ h: SwitchHarness, vlan: UInt16, _ last: UInt8) throws -> Bool? {
        try h.engine.perform { $0.bridge.fdb.isStatic(vlan: vlan, mac: station(last)) }.get()
    }

    private func state(_ h: SwitchHarness, _ name: String) throws -> PortOperationalState? {
        try h.engine.perform { e in e.portRuntime().first { $0.spec.name == name }?.state }.get()
    }

    @Test func aVLANChangeKeepsTheConnectionAndMovesItsTrafficToTheNewVLANOnly() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("c", .access(vlan: 20))])
        for p in ["a", "b", "c"] { try h.connect(p) }
        let a = try h.frontEnd("a")
        // Before: a's broadcast reaches b (VLAN 10), not c (VLAN 20); b's station is learned.
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1))
        try a.send(frame: hello)
        #expect(try h.receive("b", expected: 1) == [hello])
        #expect(try h.receivesNothing("c"))
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2)))
        #expect(try h.receive("a", expected: 1).count == 1)
        #expect(try lookup(h, vlan: 10, 1) == "a" && lookup(h, vlan: 10, 2) == "b")

        let result = try update(h, "a") { $0.vlan = .access(vlan: 20) }
        #expect(result.flushedEntries == 1, "a's entry in VLAN 10, which it left")

        // The same connection: the front-end's session answers, the rings still run.
        try a.sync()
        #expect(try state(h, "a") == .running)
        // a's VLAN 10 entry went with the VLAN; b's stayed.
        #expect(try lookup(h, vlan: 10, 1) == nil)
        #expect(try lookup(h, vlan: 10, 2) == "b")
        // After: the same front-end's broadcast reaches c (VLAN 20) and no longer b.
        let again = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 70)
        try a.send(frame: again)
        #expect(try h.receive("c", expected: 1) == [again])
        #expect(try h.receivesNothing("b"))
        // And b's frames to a's address no longer reach it (another VLAN): flooded in VLAN 10 only.
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 80))
        #expect(try h.receivesNothing("a"))
        #expect(try lookup(h, vlan: 20, 1) == "a", "learned again in its new VLAN")
    }

    @Test func aTrunkThatLeavesAVLANLosesOnlyThatVLANsEntriesStaticOnesToo() throws {
        let h = try SwitchHarness(ports: [("t", .trunk(allowed: VLANSet([10, 20]), native: nil)), ("x", .access(vlan: 10)),
                                          ("y", .access(vlan: 20))])
        for p in ["t", "x", "y"] { try h.connect(p) }
        for vlan: UInt16 in [10, 20] {
            try h.frontEnd("t").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(5), vlan: vlan))
        }
        _ = try h.receive("x", expected: 1)
        _ = try h.receive("y", expected: 1)
        try h.engine.perform { e in
            let t = e.portIndex(named: "t")!
            _ = try? e.bridge.fdb.addStatic(vlan: 10, mac: station(6), port: t)
            _ = try? e.bridge.fdb.addStatic(vlan: 20, mac: station(7), port: t)
        }.get()
        #expect(try isStatic(h, vlan: 10, 6) == true && isStatic(h, vlan: 20, 7) == true)
        #expect(try lookup(h, vlan: 10, 5) == "t" && lookup(h, vlan: 20, 5) == "t")

        let result = try update(h, "t") { $0.vlan = .trunk(allowed: VLANSet([10]), native: nil) }
        #expect(result.flushedEntries == 2)
        #expect(try lookup(h, vlan: 10, 5) == "t", "learned, VLAN kept")
        #expect(try lookup(h, vlan: 10, 6) == "t", "static, VLAN kept")
        #expect(try lookup(h, vlan: 20, 5) == nil, "learned, VLAN left")
        #expect(try lookup(h, vlan: 20, 7) == nil, "static, VLAN left")
        // The trunk still forwards VLAN 10 and no longer VLAN 20, on the same connection.
        let ten = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(5), vlan: 10, length: 90)
        let twenty = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(5), vlan: 20, length: 90)
        try h.frontEnd("t").send(frame: ten)
        try h.frontEnd("t").send(frame: twenty)
        #expect(try h.receive("x", expected: 1) == [HarnessFrames.untag(ten)])
        #expect(try h.receivesNothing("y"))
        #expect(try h.counters("t").receiveDrops(.vlanNotAllowed) == 1)
    }

    @Test func staticMACsAreInstalledMovedAndRemovedAndNeverAge() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("c", .access(vlan: 10))])
        for p in ["a", "b", "c"] { try h.connect(p) }
        let pinned = StaticMAC(vlan: 10, mac: station(9))
        let installed = try update(h, "a") { $0.staticMACs = [pinned] }
        #expect(installed.staticMACsInstalled == 1)
        #expect(try isStatic(h, vlan: 10, 9) == true && lookup(h, vlan: 10, 9) == "a")
        // Unicast to the pinned address goes to a only, without a frame from it ever seen.
        let toPinned = HarnessFrames.make(to: HarnessFrames.mac(9), from: HarnessFrames.mac(3))
        try h.frontEnd("c").send(frame: toPinned)
        #expect(try h.receive("a", expected: 1) == [toPinned])
        #expect(try h.receivesNothing("b"))

        // Never aged: an aging sweep far in the future takes c's learned entry, not the static one.
        let (learnedLeft, staticLeft) = try h.engine.perform { e -> (UInt16?, UInt16?) in
            e.bridge.fdb.expire(now: e.nowSeconds &+ 100_000)
            return (e.bridge.fdb.lookup(vlan: 10, mac: station(3)),
                    e.bridge.fdb.lookup(vlan: 10, mac: pinned.mac))
        }.get()
        #expect(learnedLeft == nil, "positive control: the learned entry expired")
        #expect(staticLeft != nil)

        // Moved to b (b first, as a reload may order it), then dropped from a's spec: b keeps it.
        try update(h, "b") { $0.staticMACs = [pinned] }
        let removedFromA = try update(h, "a") { $0.staticMACs = [] }
        #expect(removedFromA.staticMACsRemoved == 0, "already b's: not a's to remove")
        #expect(try lookup(h, vlan: 10, 9) == "b")
        let moved = HarnessFrames.make(to: HarnessFrames.mac(9), from: HarnessFrames.mac(3), length: 72)
        try h.frontEnd("c").send(frame: moved)
        #expect(try h.receive("b", expected: 1) == [moved])
        #expect(try h.receivesNothing("a"))

        // Removed from b: gone from the FDB, unicast to it floods again.
        let removed = try update(h, "b") { $0.staticMACs = [] }
        #expect(removed.staticMACsRemoved == 1)
        #expect(try isStatic(h, vlan: 10, 9) == nil)
        let flooded = HarnessFrames.make(to: HarnessFrames.mac(9), from: HarnessFrames.mac(3), length: 74)
        try h.frontEnd("c").send(frame: flooded)
        #expect(try h.receive("a", expected: 1) == [flooded] && h.receive("b", expected: 1) == [flooded])
    }

    @Test func staticMACsOfTheSpecificationAreInstalledWhenThePortIsAdded() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10))])
        let spec = PortSpecification(name: "s", kind: .vhostUser(socketPath: h.socketPath("s"), mode: .server, queuePairs: 1),
                                     vlan: .trunk(allowed: VLANSet([10, 30]), native: 30), macLimit: 4, mtu: 1500,
                                     staticMACs: [StaticMAC(vlan: 10, mac: station(20)),
                                                  StaticMAC(vlan: 30, mac: station(21))])
        try h.engine.perform { $0.addPort(spec) }.get().get()
        #expect(try lookup(h, vlan: 10, 20) == "s" && isStatic(h, vlan: 10, 20) == true)
        #expect(try lookup(h, vlan: 30, 21) == "s" && isStatic(h, vlan: 30, 21) == true)
        #expect(try lookup(h, vlan: 10, 21) == nil)
    }

    @Test func aLowerMTUAppliesToTheNextFrameOnTheSameConnection() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        for p in ["a", "b"] { try h.connect(p) }
        let big = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 1200)
        try h.frontEnd("a").send(frame: big)
        #expect(try h.receive("b", expected: 1) == [big], "positive control: fits MTU 1500")
        try update(h, "b") { $0.mtu = 1000 }
        try h.frontEnd("a").send(frame: big)
        #expect(try h.receivesNothing("b"))
        #expect(try h.counters("b").transmitDrops(.mtuExceeded) == 1)
        let small = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 1014)
        try h.frontEnd("a").send(frame: small)
        #expect(try h.receive("b", expected: 1) == [small], "MTU + 14 still fits")
    }

    @Test func isolationAndALowerMACLimitApplyInPlace() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        for p in ["a", "b"] { try h.connect(p) }
        for last: UInt8 in [1, 11, 12] {
            try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(last)))
        }
        #expect(try h.receive("b", expected: 3).count == 3)
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2)))
        #expect(try h.receive("a", expected: 1).count == 1, "positive control: unicast b -> a")

        // Three learned entries on a, limit 2: a's learned entries are flushed and relearned.
        let lowered = try update(h, "a") { $0.macLimit = 2 }
        #expect(lowered.flushedEntries == 3)
        for p in ["a", "b"] {
            try update(h, p) { $0.security = PortSecurity(isolated: true) }
        }
        let unicast = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 66)
        try h.engine.perform { e in
            _ = try? e.bridge.fdb.addStatic(vlan: 10, mac: station(1), port: e.portIndex(named: "a")!)
        }.get()
        try h.frontEnd("b").send(frame: unicast)
        #expect(try h.receivesNothing("a"))
        #expect(try h.counters("b").receiveDrops(.portIsolated) == 1)
        try h.frontEnd("a").sync()
    }

    @Test func aChangeOfSocketIsRefusedInPlaceAndRecreatingKeepsRunTimeStaticEntries() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10))])
        let refused = try h.engine.perform { e -> Result<PortUpdate, EngineError> in
            var spec = e.portSpecification(named: "a")!
            spec.kind = .vhostUser(socketPath: h.socketPath("a2"), mode: .server, queuePairs: 1)
            return e.updatePort(spec)
        }.get()
        guard case .failure(.portSetup("a", let why)) = refused else { Issue.record("not refused: \(refused)"); return }
        #expect(why.contains("re-created"))

        let runTime = station(30)
        let configured = StaticMAC(vlan: 10, mac: station(31))
        try update(h, "a") { $0.staticMACs = [configured] }
        try h.engine.perform { e in _ = try? e.bridge.fdb.addStatic(vlan: 10, mac: runTime, port: e.portIndex(named: "a")!) }.get()
        let carried = try h.engine.perform { e -> Result<Int, EngineError> in
            var spec = e.portSpecification(named: "a")!
            spec.kind = .vhostUser(socketPath: h.socketPath("a2"), mode: .server, queuePairs: 1)
            spec.staticMACs = []
            return e.recreatePort(spec)
        }.get().get()
        #expect(carried == 1)
        #expect(try lookup(h, vlan: 10, 30) == "a", "added at run time: kept")
        #expect(try lookup(h, vlan: 10, 31) == nil, "configured, then no longer: gone")
        #expect(FileManager.default.fileExists(atPath: h.socketPath("a2")))
    }
}
