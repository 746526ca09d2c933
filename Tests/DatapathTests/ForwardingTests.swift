import Datapath
import SwitchCore
import Testing
import VhostTestFrontEnd

@Suite(.serialized) struct ForwardingTests {
    @Test func floodsUnknownDestinationsThenDeliversLearnedUnicastToOnePortByteExact() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("c", .access(vlan: 10))])
        for p in ["a", "b", "c"] { try h.connect(p) }
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 60)
        try h.frontEnd("a").send(frame: hello)
        #expect(try h.receive("b", expected: 1) == [hello])
        #expect(try h.receive("c", expected: 1) == [hello])
        #expect(try h.receivesNothing("a"), "never back out of the ingress port")

        let reply = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 1514)
        try h.frontEnd("b").send(frame: reply)
        #expect(try h.receive("a", expected: 1) == [reply])
        #expect(try h.receivesNothing("c"), "learned unicast goes to one port only")

        let c = try h.counters("a")
        #expect(c.receivedFrames == 1 && c.flooded == 1 && c.transmittedFrames == 1)
        #expect(c.receiveSideBalances)
    }

    @Test func floodsOnlyWithinTheVLANAndIsolatesAccessVLANs() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 20)), ("c", .access(vlan: 10))])
        for p in ["a", "b", "c"] { try h.connect(p) }
        let f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1))
        try h.frontEnd("a").send(frame: f)
        #expect(try h.receive("c", expected: 1) == [f])
        #expect(try h.receivesNothing("b"))
    }

    @Test func pushesTheVLANTagTowardsATrunkAndPopsItTowardsAnAccessPort() throws {
        let trunk = PortMode.trunk(allowed: VLANSet([10, 20]), native: 1)
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("t", trunk), ("n", .access(vlan: 1))])
        for p in ["a", "t", "n"] { try h.connect(p) }
        let untagged = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 100)
        try h.frontEnd("a").send(frame: untagged)
        #expect(try h.receive("t", expected: 1) == [HarnessFrames.tag(untagged, vlan: 10)])
        #expect(try h.receivesNothing("n"))

        // Trunk to access: the tag comes off; PCP is carried in the tag only.
        let tagged = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(9), vlan: 10, pcp: 5, length: 200)
        try h.frontEnd("t").send(frame: tagged)
        #expect(try h.receive("a", expected: 1) == [HarnessFrames.untag(tagged)])

        // Native VLAN travels untagged on the trunk.
        let native = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3), length: 80)
        try h.frontEnd("n").send(frame: native)
        #expect(try h.receive("t", expected: 1) == [native])

        // A VLAN the trunk does not carry is dropped and counted.
        try h.frontEnd("t").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), vlan: 30))
        #expect(try h.receivesNothing("a") && h.receivesNothing("n"))
        #expect(try h.counters("t").receiveDrops(.vlanNotAllowed) == 1)
    }

    @Test func preservesPriorityBitsFromTrunkToTrunk() throws {
        let trunk = PortMode.trunk(allowed: VLANSet([10]), native: nil)
        let h = try SwitchHarness(ports: [("t1", trunk), ("t2", trunk)])
        for p in ["t1", "t2"] { try h.connect(p) }
        let f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(4), vlan: 10, pcp: 6, length: 90)
        try h.frontEnd("t1").send(frame: f)
        #expect(try h.receive("t2", expected: 1) == [f])
    }

    @Test func interoperatesWithANonMergeableLegacyHeaderReceiverAndSmallMergeableBuffers() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("legacy", .access(vlan: 1)), ("small", .access(vlan: 1))])
        try h.connect("a")
        var legacy = TestFrontEnd.Options()
        legacy.driverFeatures &= ~((1 << 15) | (1 << 32))  // no MRG_RXBUF, no VERSION_1: 10-byte header
        try h.connect("legacy", options: legacy)
        var small = TestFrontEnd.Options()
        small.bufferSize = 256
        try h.connect("small", options: small)
        #expect(try h.frontEnd("legacy").netHeaderLength == 10)
        let f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 1400)
        try h.frontEnd("a").send(frame: f)
        #expect(try h.receive("legacy", expected: 1) == [f])
        #expect(try h.receive("small", expected: 1) == [f], "spread over several 256-byte buffers with num_buffers")
    }

    @Test func aFullReceiveRingDropsAndCountsWithoutBlockingOtherPorts() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("slow", .access(vlan: 1)), ("fast", .access(vlan: 1))])
        try h.connect("a")
        var tiny = TestFrontEnd.Options()
        tiny.ringSize = 8
        try h.connect("slow", options: tiny)
        try h.connect("fast")
        // Teach the switch where everyone lives ("a" first, so the others' replies are unicast).
        try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.mac(0xEE), from: HarnessFrames.mac(1)))
        #expect(try h.receive("slow", expected: 1).count == 1)
        #expect(try h.receive("fast", expected: 1).count == 1)
        try h.frontEnd("slow").send(frame: HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2)))
        try h.frontEnd("fast").send(frame: HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(3)))
        #expect(try h.receive("a", expected: 2).count == 2)
        for i in 0..<20 {
            try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 64 + i))
            try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.mac(3), from: HarnessFrames.mac(1), length: 64 + i))
        }
        #expect(try h.receive("fast", expected: 20).count == 20)
        let slow = try h.receive("slow", expected: 20, timeout: 0.5)
        let drops = try h.counters("slow").transmitDrops(.rxRingFull)
        #expect(slow.count < 20 && drops > 0)
        #expect(UInt64(slow.count) + drops == 20, "every frame is either delivered or counted")
    }
}
