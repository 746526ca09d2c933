import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd

/// A front-end that shrinks its guest memory after handing it over (docs/port-faults.md): the
/// daemon survives, only that port breaks and says so, the others keep switching, and the port
/// comes back when its front-end brings fresh memory.
@Suite(.serialized) struct HostileMemoryTests {
    static let broken = "broken (guest-memory-fault)"

    /// a and b are well-behaved; x is the attacker (MAC 9). All in VLAN 10.
    private func threePorts() throws -> SwitchHarness {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("x", .access(vlan: 10))])
        for p in ["a", "b", "x"] { try h.connect(p) }
        return h
    }

    private func runtime(_ h: SwitchHarness, _ port: String) throws -> PortRuntime {
        let rt = try h.engine.perform { $0.portRuntime().first { $0.spec.name == port } }.get()
        return try #require(rt)
    }

    /// Polls the port's state until it is `state` or the timeout passes; returns the last one seen.
    private func waitForState(_ h: SwitchHarness, _ port: String, _ state: String, timeout: Double = 2) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try runtime(h, port).state.description
            if last == state { return last }
            usleep(5_000)
        }
        return last
    }

    /// a ⇄ b both ways: a broadcast from a reaches b, b's unicast answer reaches a.
    private func expectSwitching(_ h: SwitchHarness, _ note: Comment) throws {
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 80)
        try h.frontEnd("a").send(frame: hello)
        #expect(try h.receive("b", expected: 1) == [hello], note)
        let answer = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 120)
        try h.frontEnd("b").send(frame: answer)
        #expect(try h.receive("a", expected: 1) == [answer], note)
    }

    /// Measures `engine.stop()`: a fault must not leave the loop stuck.
    private func expectPromptStop(_ h: SwitchHarness) {
        let start = ContinuousClock.now
        h.engine.stop()
        let took = ContinuousClock.now - start
        #expect(took < .seconds(1), "engine.stop() took \(took)")
    }

    @Test func aShrunkMemfdBreaksOnlyItsOwnPortWhichRecoversWithFreshMemory() throws {
        let h = try threePorts()
        let x = try h.frontEnd("x")
        let errorFD = try x.installErrorNotifier(ring: 1)

        // Before: everyone switches, x included, and no error was signalled.
        try expectSwitching(h, "before the attack")
        _ = try h.receive("x", expected: 1)  // a's flood
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 90)
        try x.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX])
        #expect(try h.receive("b", expected: 1) == [fromX])
        let toX = HarnessFrames.make(to: HarnessFrames.mac(9), from: HarnessFrames.mac(1), length: 70)
        try h.frontEnd("a").send(frame: toX)
        #expect(try h.receive("x", expected: 1) == [toX])
        #expect(try waitForState(h, "x", "running") == "running")
        #expect(errorFD.drain() == 0)

        // The attack: x's memfd shrinks to nothing. From here on the test must not touch x's
        // memory either (its own mapping faults too); only messages go to x.
        try x.shrinkMemory(to: 0)
        // Traffic towards x (learned unicast and a flood); the engine also polls x's TX ring.
        try h.frontEnd("a").send(frame: toX)
        try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 64))
        #expect(try waitForState(h, "x", Self.broken) == Self.broken)
        _ = try h.receive("b", expected: 1)

        // Only x broke: a and b keep switching both ways, and frames to x count as port-down.
        try expectSwitching(h, "after the attack")
        // x went down, so its learned MAC was flushed: a frame to it floods, to b only.
        let sentToX = try h.counters("x").transmittedFrames
        try h.frontEnd("a").send(frame: toX)
        #expect(try h.receive("b", expected: 1) == [toX])
        #expect(try h.counters("x").transmittedFrames == sentToX, "never into the broken port's rings")
        // With a static entry (an operator's) the frame is dropped and counted as port-down.
        try h.engine.perform { try? $0.bridge.fdb.addStatic(vlan: 10, mac: MACAddress(rawValue: 0x5254_0000_0009),
                                                          port: $0.portIndex(named: "x")!) }.get()
        let downBefore = try h.counters("a").receiveDrops(.portDown)
        try h.frontEnd("a").send(frame: toX)
        #expect(try h.receivesNothing("b"))
        #expect(try h.counters("a").receiveDrops(.portDown) == downBefore + 1)
        #expect(try h.counters("x").transmittedFrames == sentToX)
        let rt = try runtime(h, "x")
        #expect(rt.faults == 1)
        #expect(rt.reason?.contains("guest memory") == true)
        #expect(errorFD.drain() >= 1, "SET_VRING_ERR's eventfd is signalled")

        // Recovery on the same connection: fresh memory, rings set up again.
        try x.restartWithFreshMemory()
        #expect(try waitForState(h, "x", "running") == "running")
        try x.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX])
        #expect(try h.receive("b", expected: 1) == [fromX])
        try h.frontEnd("a").send(frame: toX)
        #expect(try h.receive("x", expected: 1) == [toX])
        try expectSwitching(h, "after recovery")
        #expect(try runtime(h, "x").faults == 1)
        expectAccountingAddsUp(h.engine)
        expectPromptStop(h)
    }

    @Test func aBrokenPortRecoversWhenItsFrontEndReconnects() throws {
        let h = try threePorts()
        // Only the first page stays: x's TX ring (at the start of the file) still reads fine, its RX
        // ring does not, so the fault comes from delivering a flood to x.
        try h.frontEnd("x").shrinkMemory(to: 4096)
        try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 64))
        #expect(try waitForState(h, "x", Self.broken) == Self.broken)
        _ = try h.receive("b", expected: 1)
        try expectSwitching(h, "while x is broken")

        try h.frontEnd("x").disconnect()
        #expect(try waitForState(h, "x", "listening") == "listening")
        let x = try h.connect("x")
        #expect(try waitForState(h, "x", "running") == "running")
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 90)
        try x.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX])
        let toX = HarnessFrames.make(to: HarnessFrames.mac(9), from: HarnessFrames.mac(2), length: 70)
        try h.frontEnd("b").send(frame: toX)
        #expect(try h.receive("x", expected: 1) == [toX])
        expectAccountingAddsUp(h.engine)
        expectPromptStop(h)
    }

    @Test func aSealedMemfdCannotBeShrunkSoItsPortKeepsRunning() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("q", .access(vlan: 10))])
        try h.connect("a")
        var sealed = TestFrontEnd.Options()
        sealed.sealMemory = true
        let q = try h.connect("q", options: sealed)
        #expect(throws: Errno(EPERM)) { try q.shrinkMemory(to: 0) }
        let f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(5), length: 100)
        try q.send(frame: f)
        #expect(try h.receive("a", expected: 1) == [f])
        #expect(try waitForState(h, "q", "running") == "running")
        expectAccountingAddsUp(h.engine)
    }
}
