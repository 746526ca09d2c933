import Testing
import SwitchCore

@Suite struct FDBLimitAndEvictionTests {
    @Test func perPortLimitDropsFramesFromNewAddresses() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "limited", mode: .access(vlan: 1), macLimit: 2)
        try engine.addPort(2, name: "other", mode: .access(vlan: 1))
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 1).action == .flood)
        #expect(engine.send(frame(from: station(2), to: .broadcast), on: 1).action == .flood)
        #expect(engine.send(frame(from: station(3), to: .broadcast), on: 1).action == .drop(.macLimit))
        // Known addresses keep working.
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 1).action == .flood)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(3)) == nil)
        #expect(engine.counters(port: 1)?.receiveDrops(.macLimit) == 1)
        #expect(engine.fdb.statistics.limitRefusals == 1)
        // Another port is not affected.
        #expect(engine.send(frame(from: station(3), to: .broadcast), on: 2).action == .flood)
    }

    @Test func limitFreesUpWhenEntriesAge() throws {
        let engine = makeEngine(agingTime: 10)
        try engine.addPort(1, name: "limited", mode: .access(vlan: 1), macLimit: 1)
        engine.send(frame(from: station(1), to: .broadcast), on: 1, at: 0)
        #expect(engine.send(frame(from: station(2), to: .broadcast), on: 1, at: 5).action == .drop(.macLimit))
        engine.expire(now: 10)
        #expect(engine.send(frame(from: station(2), to: .broadcast), on: 1, at: 11).action == .flood)
    }

    @Test func limitCountsOnlyLearnedEntries() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "limited", mode: .access(vlan: 1), macLimit: 1)
        try engine.fdb.addStatic(vlan: 1, mac: station(9), port: 1)
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 1).action == .flood)
        #expect(engine.fdb.entryCount(port: 1) == 2 && engine.fdb.dynamicEntryCount(port: 1) == 1)
    }

    @Test func moveIntoAFullPortIsRefused() {
        let fdb = ForwardingDatabase(capacity: 64, agingTime: 300, maxPorts: 8, hashSeed: 1)
        fdb.setMACLimit(port: 2, limit: 1)
        fdb.learn(vlan: 1, mac: station(1), port: 1, now: 0)
        fdb.learn(vlan: 1, mac: station(2), port: 2, now: 0)
        #expect(fdb.learn(vlan: 1, mac: station(1), port: 2, now: 1) == .limitReached)
        #expect(fdb.lookup(vlan: 1, mac: station(1)) == 1)
    }

    @Test func countsMoves() throws {
        let engine = makeEngine()
        for p: UInt16 in 1...3 { try engine.addPort(p, name: "p\(p)", mode: .access(vlan: 1)) }
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        engine.send(frame(from: station(1), to: .broadcast), on: 2)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(1)) == 2)
        #expect(engine.send(frame(from: station(5), to: station(1)), on: 3).action == .unicast(2))
        #expect(engine.fdb.statistics.moved == 1)
        #expect(engine.fdb.entryCount(port: 1) == 0 && engine.fdb.entryCount(port: 2) == 1)
    }

    @Test func fullTableEvictsFromThePortHoldingTheMostEntries() {
        let fdb = ForwardingDatabase(capacity: 10, agingTime: 300, maxPorts: 8, hashSeed: 3)
        for n in 0..<6 { fdb.learn(vlan: 1, mac: station(n), port: 1, now: UInt32(n)) }     // flooder
        for n in 6..<9 { fdb.learn(vlan: 1, mac: station(n), port: 2, now: 0) }
        fdb.learn(vlan: 1, mac: station(9), port: 3, now: 0)
        #expect(fdb.isFull)
        #expect(fdb.learn(vlan: 1, mac: station(100), port: 3, now: 10) == .learned)
        #expect(fdb.count == 10)
        #expect(fdb.entryCount(port: 1) == 5)
        #expect(fdb.entryCount(port: 2) == 3)
        #expect(fdb.entryCount(port: 3) == 2)
        #expect(fdb.statistics.evicted == 1)
        // Sampled LRU: among the sampled entries of port 1 the least recently seen went.
        let gone = (0..<6).filter { fdb.lookup(vlan: 1, mac: station($0)) == nil }
        #expect(gone.count == 1)
    }

    @Test func macFloodFromOnePortOnlyEvictsThatPortsEntries() {
        let fdb = ForwardingDatabase(capacity: 256, agingTime: 300, maxPorts: 8, hashSeed: 9)
        for n in 0..<100 { fdb.learn(vlan: 1, mac: station(n, group: 2), port: 2, now: 0) }
        for n in 0..<10_000 { fdb.learn(vlan: 1, mac: station(n, group: 1), port: 1, now: 1) }
        #expect(fdb.count == 256)
        #expect(fdb.entryCount(port: 2) == 100)
        for n in 0..<100 { #expect(fdb.lookup(vlan: 1, mac: station(n, group: 2)) == 2) }
        #expect(fdb.statistics.evicted == 10_000 - 156)
    }

    @Test func fullTableOfStaticEntriesRefusesLearning() throws {
        let fdb = ForwardingDatabase(capacity: 2, agingTime: 300, maxPorts: 8, hashSeed: 1)
        try fdb.addStatic(vlan: 1, mac: station(1), port: 1)
        try fdb.addStatic(vlan: 1, mac: station(2), port: 1)
        #expect(fdb.learn(vlan: 1, mac: station(3), port: 2, now: 0) == .tableFull)
        #expect(fdb.statistics.learnFailures == 1)
        #expect(throws: FDBError.tableFull) { try fdb.addStatic(vlan: 1, mac: station(4), port: 1) }
    }
}
