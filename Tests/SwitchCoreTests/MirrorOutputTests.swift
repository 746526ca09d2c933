import SwitchCore
import Testing

/// A mirror's output port in the core (docs/mirroring.md): its frames are dropped `mirror-output`
/// without learning, it is no flood target and no unicast destination, and copies leave it
/// tagged unless in its own VLAN; cleared, it is an ordinary port again.
@Suite struct MirrorOutputTests {
    func makeSwitch() throws -> Bridge {
        let b = makeEngine()
        try b.addPort(1, name: "a", mode: .access(vlan: 10))
        try b.addPort(2, name: "b", mode: .access(vlan: 10))
        try b.addPort(3, name: "mon", mode: .access(vlan: 10))
        return b
    }

    @Test func anOutputForwardsAndLearnsNothingAndIsNoTargetUntilCleared() throws {
        let b = try makeSwitch()
        #expect(b.setMirrorOutput(3, true))
        #expect(b.send(frame(from: station(3), to: .broadcast), on: 3).action == .drop(.mirrorOutput))
        #expect(b.fdb.lookup(vlan: 10, mac: station(3)) == nil)
        #expect(b.counters(port: 3)?.receiveDrops(.mirrorOutput) == 1)
        #expect(b.floodTargets(vlan: 10, excluding: 1) == [2])
        // Control: the same frame from a is switched and learned; flooded to b only.
        #expect(b.send(frame(from: station(3), to: .broadcast), on: 1).action == .flood)
        #expect(b.fdb.lookup(vlan: 10, mac: station(3)) == 1)
        // Copies keep their VLAN: tagged unless in the output's access VLAN (an access port
        // would send every VLAN untagged).
        #expect(b.egressTag(port: 3, vlan: 20) == EgressTag(tagged: true, vid: 20))
        #expect(b.egressTag(port: 3, vlan: 10) == .untagged)
        #expect(b.egressTag(port: 2, vlan: 20) == .untagged)
        // Unicast to a MAC pinned on the output is not delivered.
        try b.fdb.addStatic(vlan: 10, mac: station(9), port: 3, now: 0)
        #expect(b.send(frame(from: station(1), to: station(9)), on: 1).action == .drop(.portDown))

        #expect(b.setMirrorOutput(3, false))
        #expect(b.floodTargets(vlan: 10, excluding: 1) == [2, 3])
        #expect(b.send(frame(from: station(1), to: station(9)), on: 1).action == .unicast(3))
        #expect(b.send(frame(from: station(3), to: .broadcast), on: 3).action == .flood)
        #expect(b.egressTag(port: 3, vlan: 20) == .untagged)
    }

    @Test func becomingAnOutputFlushesWhatThePortLearned() throws {
        let b = try makeSwitch()
        _ = b.send(frame(from: station(3), to: .broadcast), on: 3)
        #expect(b.fdb.lookup(vlan: 10, mac: station(3)) == 3)
        b.setMirrorOutput(3, true)
        #expect(b.fdb.lookup(vlan: 10, mac: station(3)) == nil)
        #expect(b.setMirrorOutput(7, true) == false, "no such port")
    }
}
