import Testing
import SwitchCore

@Suite struct FDBAgingTests {
    @Test func expiresEntriesNotSeenForTheAgingTime() {
        let fdb = ForwardingDatabase(capacity: 64, agingTime: 300, maxPorts: 8, hashSeed: 1)
        fdb.learn(vlan: 1, mac: station(1), port: 1, now: 1000)
        fdb.learn(vlan: 1, mac: station(2), port: 2, now: 1100)
        #expect(fdb.expire(now: 1299) == 0)
        #expect(fdb.expire(now: 1300) == 1)
        #expect(fdb.lookup(vlan: 1, mac: station(1)) == nil)
        #expect(fdb.lookup(vlan: 1, mac: station(2)) == 2)
        #expect(fdb.expire(now: 1400) == 1)
        #expect(fdb.count == 0)
        #expect(fdb.statistics.expired == 2)
        #expect(fdb.entryCount(port: 1) == 0 && fdb.entryCount(port: 2) == 0)
    }

    @Test func seeingASourceAgainResetsItsAge() {
        let fdb = ForwardingDatabase(capacity: 64, agingTime: 300, maxPorts: 8, hashSeed: 1)
        fdb.learn(vlan: 1, mac: station(1), port: 1, now: 0)
        #expect(fdb.learn(vlan: 1, mac: station(1), port: 1, now: 250) == .refreshed)
        #expect(fdb.expire(now: 500) == 0)
        #expect(fdb.entry(vlan: 1, mac: station(1), now: 500)?.age == .dynamic(seconds: 250))
        #expect(fdb.expire(now: 550) == 1)
    }

    @Test func agingTimeZeroNeverExpires() {
        let fdb = ForwardingDatabase(capacity: 64, agingTime: 0, maxPorts: 8, hashSeed: 1)
        fdb.learn(vlan: 1, mac: station(1), port: 1, now: 0)
        #expect(fdb.expire(now: 4_000_000_000) == 0)
        #expect(fdb.lookup(vlan: 1, mac: station(1)) == 1)
    }

    @Test func agingTimeCanChangeAtRunTime() {
        let fdb = ForwardingDatabase(capacity: 64, agingTime: 300, maxPorts: 8, hashSeed: 1)
        fdb.learn(vlan: 1, mac: station(1), port: 1, now: 0)
        fdb.agingTime = 10
        #expect(fdb.expire(now: 10) == 1)
    }

    @Test func sweepRemovesEveryExpiredEntryInCrowdedClusters() {
        // Many entries in a small table force long clusters and wrap-around shifts.
        let fdb = ForwardingDatabase(capacity: 512, agingTime: 100, maxPorts: 8, hashSeed: 7)
        for n in 0..<512 {
            fdb.learn(vlan: 1, mac: station(n), port: UInt16(n % 4), now: n % 2 == 0 ? 0 : 50)
        }
        #expect(fdb.count == 512)
        #expect(fdb.expire(now: 100) == 256)
        for n in 0..<512 {
            #expect(fdb.lookup(vlan: 1, mac: station(n)) == (n % 2 == 0 ? nil : UInt16(n % 4)))
        }
        #expect(fdb.expire(now: 150) == 256)
        #expect(fdb.count == 0)
    }

    @Test func engineExpiresThroughItsFDB() throws {
        let engine = makeEngine(agingTime: 30)
        try engine.addPort(1, name: "a", mode: .access(vlan: 1))
        try engine.addPort(2, name: "b", mode: .access(vlan: 1))
        engine.send(frame(from: station(1), to: .broadcast), on: 1, at: 100)
        #expect(engine.send(frame(from: station(2), to: station(1)), on: 2, at: 110).action == .unicast(1))
        #expect(engine.expire(now: 130) == 1) // station 1, last seen at 100
        #expect(engine.send(frame(from: station(2), to: station(1)), on: 2, at: 131).action == .flood)
    }
}
