import Datapath
import SwitchCore
import Testing
import VhostTestFrontEnd

/// VLAN hopping through a real engine over real vhost-user sockets (docs/vlan-safety.md): a
/// frame whose tag stack does not fit its ingress port never reaches another VLAN, and is counted
/// `vlan-stack`; the single-tag frames next to it still go through (positive controls).
@Suite(.serialized) struct VLANHoppingTests {
    /// a, c: access 10 · b: access 20 · t: trunk 10, 20 (native 1) · n: trunk 20 with native 10,
    /// so VLAN 10 leaves n untagged, where a smuggled inner tag would be exposed.
    static let ports: [(name: String, vlan: PortMode)] = [
        ("a", .access(vlan: 10)), ("c", .access(vlan: 10)), ("b", .access(vlan: 20)),
        ("t", .trunk(allowed: VLANSet([10, 20]), native: 1)), ("n", .trunk(allowed: VLANSet([20]), native: 10)),
    ]

    func makeSwitch() throws -> SwitchHarness {
        let h = try SwitchHarness(ports: Self.ports)
        for p in Self.ports { try h.connect(p.name) }
        return h
    }

    @Test func aDoubleTaggedFrameFromAnAccessPortReachesNoOtherPortAndIsCounted() throws {
        let h = try makeSwitch()
        // The classic attack: a priority tag (VID 0, so the access port takes it as its own
        // VLAN 10) with VLAN 20's tag behind it; and the same with 802.1ad / QinQ TPIDs.
        let attacks = [
            HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), tags: [(0x8100, 0), (0x8100, 20)]),
            HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), tags: [(0x8100, 0), (0x88A8, 20)]),
            HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), tags: [(0x88A8, 20), (0x8100, 20)]),
            HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), tags: [(0x9100, 20)]),
        ]
        for f in attacks { try h.frontEnd("a").send(frame: f) }
        for p in ["b", "c", "t", "n"] { #expect(try h.receivesNothing(p), "port \(p)") }
        let a = try h.counters("a")
        #expect(a.receiveDrops(.vlanStack) == UInt64(attacks.count))
        #expect(a.receiveSideBalances)

        // Positive control, same port, same path: a legitimate priority-tagged frame is VLAN 10.
        let legit = HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), tags: [(0x8100, 5 << 13)], length: 90)
        try h.frontEnd("a").send(frame: legit)
        #expect(try h.receive("c", expected: 1) == [HarnessFrames.untag(legit)])
        #expect(try h.receive("n", expected: 1) == [HarnessFrames.untag(legit)])
        #expect(try h.receive("t", expected: 1) == [HarnessFrames.tag(HarnessFrames.untag(legit), vlan: 10, pcp: 5)])
        #expect(try h.receivesNothing("b"))
        #expect(try h.counters("a").receiveDrops(.vlanStack) == UInt64(attacks.count))
        expectAccountingAddsUp(h.engine)
    }

    @Test func aTaggedFrameWithATagInsideIsDroppedOnATrunkRatherThanExposedAtAnAccessPort() throws {
        let h = try makeSwitch()
        // VLAN 10 on the trunk, VLAN 20's tag inside: popping the outer tag towards a (access 10)
        // or n (native 10) would hand them a VLAN 20 frame.
        let attack = HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2), tags: [(0x8100, 10), (0x8100, 20)])
        try h.frontEnd("t").send(frame: attack)
        for p in ["a", "b", "c", "n"] { #expect(try h.receivesNothing(p), "port \(p)") }
        #expect(try h.counters("t").receiveDrops(.vlanStack) == 1)

        // Positive control: the same frame with one tag is delivered, the tag popped.
        let legit = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2), vlan: 10, length: 100)
        try h.frontEnd("t").send(frame: legit)
        #expect(try h.receive("a", expected: 1) == [HarnessFrames.untag(legit)])
        #expect(try h.receive("n", expected: 1) == [HarnessFrames.untag(legit)])
        #expect(try h.receivesNothing("b"))
        expectAccountingAddsUp(h.engine)
    }

    @Test func aPriorityTagWithATagInsideIsDroppedOnTheNativeVLAN() throws {
        let h = try makeSwitch()
        let attack = HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3), tags: [(0x8100, 0), (0x8100, 20)])
        try h.frontEnd("n").send(frame: attack)
        for p in ["a", "b", "c", "t"] { #expect(try h.receivesNothing(p), "port \(p)") }
        #expect(try h.counters("n").receiveDrops(.vlanStack) == 1)

        let legit = HarnessFrames.stacked(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3), tags: [(0x8100, 0)], length: 70)
        try h.frontEnd("n").send(frame: legit)
        #expect(try h.receive("a", expected: 1) == [HarnessFrames.untag(legit)])
        #expect(try h.receivesNothing("b"))
        expectAccountingAddsUp(h.engine)
    }
}

extension HarnessFrames {
    /// dst, src, the tags as (TPID, TCI) from the outside in, EtherType 0x0800, payload pattern.
    static func stacked(to dst: [UInt8], from src: [UInt8], tags: [(UInt16, UInt16)], length: Int = 64) -> [UInt8] {
        var f = dst + src
        for (tpid, tci) in tags { f += [UInt8(tpid >> 8), UInt8(tpid & 0xFF), UInt8(tci >> 8), UInt8(tci & 0xFF)] }
        f += [0x08, 0x00]
        while f.count < length { f.append(UInt8(truncatingIfNeeded: f.count * 7)) }
        return f
    }
}
