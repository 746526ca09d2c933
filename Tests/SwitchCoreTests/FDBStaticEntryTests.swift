import Testing
import SwitchCore

@Suite struct FDBStaticEntryTests {
    @Test func staticEntriesNeverAge() throws {
        let fdb = ForwardingDatabase(capacity: 16, agingTime: 10, maxPorts: 8, hashSeed: 1)
        try fdb.addStatic(vlan: 5, mac: station(1), port: 3)
        #expect(fdb.expire(now: 1_000_000) == 0)
        #expect(fdb.lookup(vlan: 5, mac: station(1)) == 3)
        #expect(fdb.entry(vlan: 5, mac: station(1), now: 7)?.age == .static)
    }

    @Test func learningNeverMovesAStaticEntry() throws {
        let engine = makeEngine()
        for p: UInt16 in 1...3 { try engine.addPort(p, name: "p\(p)", mode: .access(vlan: 1)) }
        try engine.fdb.addStatic(vlan: 1, mac: station(1), port: 1)
        #expect(engine.fdb.learn(vlan: 1, mac: station(1), port: 2, now: 0) == .pinnedByStatic)
        // A frame spoofing it from port 2 is still forwarded, but the entry stays on port 1.
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 2).action == .flood)
        #expect(engine.send(frame(from: station(3), to: station(1)), on: 3).action == .unicast(1))
        #expect(engine.fdb.statistics.moved == 0)
    }

    @Test func addingStaticReplacesALearnedEntry() throws {
        let fdb = ForwardingDatabase(capacity: 16, agingTime: 10, maxPorts: 8, hashSeed: 1)
        fdb.learn(vlan: 1, mac: station(1), port: 2, now: 0)
        try fdb.addStatic(vlan: 1, mac: station(1), port: 4)
        #expect(fdb.lookup(vlan: 1, mac: station(1)) == 4)
        #expect(fdb.statistics.staticEntries == 1 && fdb.statistics.dynamicEntries == 0)
        #expect(fdb.entryCount(port: 2) == 0)
        #expect(fdb.removeStatic(vlan: 1, mac: station(1)))
        #expect(fdb.count == 0)
    }

    @Test func rejectsInvalidStaticEntries() {
        let fdb = ForwardingDatabase(capacity: 16, agingTime: 10, maxPorts: 8, hashSeed: 1)
        #expect(throws: FDBError.invalidVLAN(0)) { try fdb.addStatic(vlan: 0, mac: station(1), port: 1) }
        #expect(throws: FDBError.invalidVLAN(4095)) { try fdb.addStatic(vlan: 4095, mac: station(1), port: 1) }
        #expect(throws: FDBError.portOutOfRange(8)) { try fdb.addStatic(vlan: 1, mac: station(1), port: 8) }
        #expect(throws: FDBError.multicastAddress(.broadcast)) { try fdb.addStatic(vlan: 1, mac: .broadcast, port: 1) }
    }

    @Test func snapshotListsEntriesSortedWithAgeOrStatic() throws {
        let fdb = ForwardingDatabase(capacity: 16, agingTime: 300, maxPorts: 8, hashSeed: 1)
        fdb.learn(vlan: 20, mac: station(2), port: 1, now: 10)
        fdb.learn(vlan: 10, mac: station(3), port: 2, now: 40)
        try fdb.addStatic(vlan: 10, mac: station(1), port: 3)
        #expect(fdb.entries(now: 50) == [
            FDBEntry(vlan: 10, mac: station(1), port: 3, age: .static),
            FDBEntry(vlan: 10, mac: station(3), port: 2, age: .dynamic(seconds: 10)),
            FDBEntry(vlan: 20, mac: station(2), port: 1, age: .dynamic(seconds: 40)),
        ])
        let stats = fdb.statistics
        #expect(stats.totalEntries == 3 && stats.staticEntries == 1 && stats.dynamicEntries == 2)
        #expect(stats.learned == 2 && stats.capacity == 16)
    }
}
