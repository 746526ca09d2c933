import Datapath
import SwitchCore
import Testing
import VhostTestFrontEnd

/// The MTU rule the engine applies to every destination (Engine.fits, DeliveryOutcome.swift): a
/// frame leaves a port only if it is at most MTU + 14 bytes, plus 4 when it leaves tagged.
@Suite struct MTUForwardingTests {
    private func harness() throws -> SwitchHarness {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)),
                                          ("t", .trunk(allowed: VLANSet([10]), native: 1))], mtu: 1500)
        for port in ["a", "b", "t"] { try h.connect(port) }
        return h
    }

    @Test func untaggedFramesLongerThanTheMTUAreDroppedAsMTUExceeded() throws {
        let h = try harness()
        // Positive control: exactly MTU + 14 goes out untagged on the access port and, 4 bytes
        // longer, tagged on the trunk.
        let fits = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 1514)
        try h.frontEnd("a").send(frame: fits)
        #expect(try h.receive("b", expected: 1) == [fits])
        #expect(try h.receive("t", expected: 1) == [HarnessFrames.tag(fits, vlan: 10)])
        let tooLong = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 1515)
        try h.frontEnd("a").send(frame: tooLong)
        #expect(try h.receivesNothing("b"))
        #expect(try h.receivesNothing("t"))
        #expect(try h.counters("b").transmitDrops(.mtuExceeded) == 1)
        #expect(try h.counters("t").transmitDrops(.mtuExceeded) == 1)
    }

    @Test func aTaggedFrameIsMeasuredAsItLeaves() throws {
        let h = try harness()
        // From the trunk: 1518 bytes tagged leave the access port as 1514 untagged (fits) ...
        let fits = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3), vlan: 10, length: 1518)
        try h.frontEnd("t").send(frame: fits)
        #expect(try h.receive("b", expected: 1) == [HarnessFrames.untag(fits)])
        // ... 1519 leave as 1515: too long for the access port.
        let tooLong = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3), vlan: 10, length: 1519)
        try h.frontEnd("t").send(frame: tooLong)
        #expect(try h.receivesNothing("b"))
        #expect(try h.counters("b").transmitDrops(.mtuExceeded) == 1)
        #expect(try h.counters("a").transmitDrops(.mtuExceeded) == 1)
    }
}
