import Datapath
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Port mirroring through a real engine over real vhost-user sockets (docs/mirroring.md): each
/// selection copies exactly the frames it selects, once per mirror, with the frame's VLAN shown
/// by a tag; the output port sends nothing into the switch and never slows the originals.
@Suite(.serialized) struct MirrorTests {
    typealias F = HarnessFrames

    func makeSwitch(_ ports: [(name: String, vlan: PortMode)], mirrors: [MirrorSpecification],
                    monitorRing: Int = 256) throws -> SwitchHarness {
        let h = try SwitchHarness(ports: ports)
        for p in ports {
            var options = TestFrontEnd.Options()
            if p.name == "mon" { options.ringSize = monitorRing }
            try h.connect(p.name, options: options)
        }
        try setMirrors(h, mirrors)
        return h
    }

    func setMirrors(_ h: SwitchHarness, _ mirrors: [MirrorSpecification]) throws {
        let problems = try h.engine.perform { $0.setMirrors(mirrors) }.get()
        #expect(problems.isEmpty)
    }

    func statistics(_ h: SwitchHarness) throws -> [MirrorStatistics] {
        try h.engine.perform { $0.mirrorStatistics() }.get()
    }

    /// The transmit identity of `expectAccountingAddsUp` with the mirrors' copies added to the
    /// copies asked for: every copy is delivered or counted as dropped on its output.
    func expectMirrorAccountingAddsUp(_ h: SwitchHarness, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ports = try h.engine.perform { $0.bridge.portSnapshots() }.get()
        let mirrored = try statistics(h).reduce(UInt64(0)) { $0 + $1.copied + $1.dropped }
        var copies: UInt64 = mirrored
        var accounted: UInt64 = 0
        for port in ports {
            let c = port.counters
            #expect(c.receivedFrames == c.forwarded + c.flooded + c.totalReceiveDrops, "\(port.name)",
                    sourceLocation: sourceLocation)
            copies += c.forwarded + c.floodCopies
            accounted += c.transmittedFrames + c.totalTransmitDrops
        }
        #expect(accounted == copies, "transmitted + dropped \(accounted) ≠ copies asked for \(copies)",
                sourceLocation: sourceLocation)
    }

    @Test func aSourcePortMirrorCopiesWhatThePortSendsTaggedWithItsVLANAndNothingElse() throws {
        let h = try makeSwitch([("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("c", .access(vlan: 20)),
                                ("d", .access(vlan: 20)), ("mon", .access(vlan: 1))],
                               mirrors: [MirrorSpecification(name: "span1", output: "mon", sourcePorts: ["a"])])
        // Not selected: another port's frames, and frames sent *to* the source port.
        let other = F.make(to: F.broadcast, from: F.mac(3), length: 80)
        try h.frontEnd("c").send(frame: other)
        #expect(try h.receive("d", expected: 1) == [other])
        #expect(try h.receivesNothing("mon"))

        // Positive control: a's broadcast reaches b and its copy reaches mon tagged VLAN 10 (mon's
        // own VLAN is 1); then b answers a (to the source port: not copied) and a's unicast
        // reply is copied.
        let fromA = F.make(to: F.broadcast, from: F.mac(1), length: 90)
        try h.frontEnd("a").send(frame: fromA)
        #expect(try h.receive("b", expected: 1) == [fromA])
        #expect(try h.receive("mon", expected: 1) == [F.tag(fromA, vlan: 10)])
        let toA = F.make(to: F.mac(1), from: F.mac(2), length: 70)
        try h.frontEnd("b").send(frame: toA)
        #expect(try h.receive("a", expected: 1) == [toA])
        #expect(try h.receivesNothing("mon"))
        let unicast = F.make(to: F.mac(2), from: F.mac(1), length: 100)
        try h.frontEnd("a").send(frame: unicast)
        #expect(try h.receive("b", expected: 1) == [unicast])
        #expect(try h.receive("mon", expected: 1) == [F.tag(unicast, vlan: 10)])
        #expect(try statistics(h) == [MirrorStatistics(name: "span1", output: "mon", isActive: true, copied: 2, dropped: 0)])
        try expectMirrorAccountingAddsUp(h)
    }

    @Test func aDestinationPortMirrorCopiesWhatTheSwitchSendsThereOnceEvenWhenAFloodReachesTwoOfThem() throws {
        let h = try makeSwitch([("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("c", .access(vlan: 10)),
                                ("x", .access(vlan: 10)), ("mon", .access(vlan: 10))],
                               mirrors: [MirrorSpecification(name: "rx", output: "mon", destinationPorts: ["b", "c"])])
        // A flood reaches b and c (both selected) and x: one copy, untagged (mon is in VLAN 10).
        let flood = F.make(to: F.broadcast, from: F.mac(1), length: 80)
        try h.frontEnd("a").send(frame: flood)
        for p in ["b", "c", "x"] { #expect(try h.receive(p, expected: 1) == [flood], "port \(p)") }
        #expect(try h.receive("mon", expected: 2, timeout: 0.5) == [flood])
        // Not selected: a frame sent to a, and one b sends (b is a destination, not a source).
        let toA = F.make(to: F.mac(1), from: F.mac(2), length: 66)
        try h.frontEnd("b").send(frame: toA)
        #expect(try h.receive("a", expected: 1) == [toA])
        #expect(try h.receivesNothing("mon"))
        // Positive control on the unicast path: a to b is copied.
        let toB = F.make(to: F.mac(2), from: F.mac(1), length: 120)
        try h.frontEnd("a").send(frame: toB)
        #expect(try h.receive("b", expected: 1) == [toB])
        #expect(try h.receive("mon", expected: 1) == [toB])
        #expect(try statistics(h).map(\.copied) == [2])
        try expectMirrorAccountingAddsUp(h)
    }

    @Test func aVLANMirrorCopiesEveryFrameOfThatVLANOnceWithItsTagAndPriorityAndNoOtherVLAN() throws {
        let h = try makeSwitch([("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("c", .access(vlan: 20)),
                                ("d", .access(vlan: 20)), ("t", .trunk(allowed: VLANSet([10, 20]), native: 1)),
                                ("mon", .access(vlan: 1))],
                               // d is selected twice (its VLAN and as a destination): still one copy.
                               mirrors: [MirrorSpecification(name: "v20", output: "mon", destinationPorts: ["d"], vlans: [20])])
        let vlan10 = F.make(to: F.broadcast, from: F.mac(1), length: 80)
        try h.frontEnd("a").send(frame: vlan10)
        #expect(try h.receive("b", expected: 1) == [vlan10])
        #expect(try h.receive("t", expected: 1) == [F.tag(vlan10, vlan: 10)])
        #expect(try h.receivesNothing("mon"))

        let vlan20 = F.make(to: F.broadcast, from: F.mac(3), length: 90)
        try h.frontEnd("c").send(frame: vlan20)
        #expect(try h.receive("d", expected: 1) == [vlan20])
        #expect(try h.receive("t", expected: 1) == [F.tag(vlan20, vlan: 20)])
        #expect(try h.receive("mon", expected: 2, timeout: 0.5) == [F.tag(vlan20, vlan: 20)])
        // From the trunk, with a priority: the copy keeps tag and PCP.
        let tagged = F.make(to: F.mac(3), from: F.mac(9), vlan: 20, pcp: 5, length: 100)
        try h.frontEnd("t").send(frame: tagged)
        #expect(try h.receive("c", expected: 1) == [F.untag(tagged)])
        #expect(try h.receive("mon", expected: 1) == [tagged])
        try expectMirrorAccountingAddsUp(h)
    }

    @Test func originalsAreDeliveredWhenTheOutputRingIsFullAndTheLostCopiesAreCounted() throws {
        let h = try makeSwitch([("a", .access(vlan: 1)), ("b", .access(vlan: 1)), ("mon", .access(vlan: 1))],
                               mirrors: [MirrorSpecification(name: "span1", output: "mon", sourcePorts: ["a"])],
                               monitorRing: 8)
        try h.frontEnd("b").send(frame: F.make(to: F.mac(0xEE), from: F.mac(2)))
        #expect(try h.receive("a", expected: 1).count == 1)
        // mon reads nothing while a sends 40 frames to b: its 8 buffers fill up.
        for i in 0..<40 {
            try h.frontEnd("a").send(frame: F.make(to: F.mac(2), from: F.mac(1), length: 64 + i))
        }
        #expect(try h.receive("b", expected: 40).count == 40, "every original arrives")
        let copies = try h.receive("mon", expected: 40, timeout: 0.5)
        let stats = try #require(try statistics(h).first)
        #expect(copies.count < 40 && stats.dropped > 0)
        #expect(stats.copied == UInt64(copies.count) && stats.copied + stats.dropped == 40)
        #expect(try h.counters("mon").transmitDrops(.rxRingFull) == stats.dropped)
        #expect(try h.counters("b").totalTransmitDrops == 0)
        try expectMirrorAccountingAddsUp(h)
    }

    @Test func theOutputPortSendsNothingIntoTheSwitchLearnsNothingAndGetsNoFloods() throws {
        let h = try makeSwitch([("a", .access(vlan: 1)), ("b", .access(vlan: 1)), ("mon", .access(vlan: 1))],
                               mirrors: [MirrorSpecification(name: "span1", output: "mon", sourcePorts: ["a"])])
        let fromMon = F.make(to: F.broadcast, from: F.mac(7), length: 70)
        try h.frontEnd("mon").send(frame: fromMon)
        // b's broadcast: not selected, and mon gets no floods. a and b receive it (control).
        let fromB = F.make(to: F.broadcast, from: F.mac(2), length: 72)
        try h.frontEnd("b").send(frame: fromB)
        #expect(try h.receive("a", expected: 1) == [fromB])
        #expect(try h.receivesNothing("b"))
        #expect(try h.receivesNothing("mon"))
        #expect(try h.counters("mon").receiveDrops(.mirrorOutput) == 1)
        let learned = try h.engine.perform { $0.bridge.fdb.lookup(vlan: 1, mac: MACAddress(rawValue: 0x5254_0000_0007)) }.get()
        #expect(learned == nil)
        // Control: the same frame from a is switched (to b), learned, and copied to mon.
        try h.frontEnd("a").send(frame: fromMon)
        #expect(try h.receive("b", expected: 1) == [fromMon])
        #expect(try h.receive("mon", expected: 1) == [fromMon])
        let learnedFromA = try h.engine.perform { $0.bridge.fdb.lookup(vlan: 1, mac: MACAddress(rawValue: 0x5254_0000_0007)) }.get()
        #expect(learnedFromA == (try h.engine.perform { $0.portIndex(named: "a") }.get()))
        try expectMirrorAccountingAddsUp(h)
    }

    @Test func mirrorsComeAndGoOnARunningSwitchWithoutDisconnectingAnyone() throws {
        let h = try makeSwitch([("a", .access(vlan: 1)), ("b", .access(vlan: 1)), ("mon", .access(vlan: 1))],
                               mirrors: [])
        let first = F.make(to: F.broadcast, from: F.mac(1), length: 64)
        try h.frontEnd("a").send(frame: first)
        #expect(try h.receive("b", expected: 1) == [first])
        #expect(try h.receive("mon", expected: 1) == [first], "an ordinary port before")

        try setMirrors(h, [MirrorSpecification(name: "span1", output: "mon", sourcePorts: ["a"])])
        let second = F.make(to: F.broadcast, from: F.mac(1), length: 65)
        try h.frontEnd("a").send(frame: second)
        #expect(try h.receive("b", expected: 1) == [second])
        #expect(try h.receive("mon", expected: 2, timeout: 0.5) == [second], "one copy, no flood")
        let fromB = F.make(to: F.broadcast, from: F.mac(2), length: 66)
        try h.frontEnd("b").send(frame: fromB)
        #expect(try h.receive("a", expected: 1) == [fromB])
        #expect(try h.receivesNothing("mon"))

        try setMirrors(h, [])
        try h.frontEnd("b").send(frame: fromB)
        #expect(try h.receive("a", expected: 1) == [fromB])
        #expect(try h.receive("mon", expected: 1) == [fromB], "an ordinary port again, same connection")
        let third = F.make(to: F.broadcast, from: F.mac(1), length: 67)
        try h.frontEnd("a").send(frame: third)
        #expect(try h.receive("mon", expected: 1) == [third])
        #expect(try statistics(h).isEmpty)
        let states = try h.engine.perform { e in e.portRuntime().map(\.state) }.get()
        #expect(states.allSatisfy { $0 == .running }, "\(states)")
    }
}
