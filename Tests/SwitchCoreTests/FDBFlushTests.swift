import Testing
import SwitchCore

@Suite struct FDBFlushTests {
    /// Ports 1–3 × VLANs 10, 20 × 4 stations, plus one static entry per port in VLAN 10.
    func populated() throws -> ForwardingDatabase {
        let fdb = ForwardingDatabase(capacity: 128, agingTime: 300, maxPorts: 8, hashSeed: 5)
        for port: UInt16 in 1...3 {
            for vlan: UInt16 in [10, 20] {
                for n in 0..<4 { fdb.learn(vlan: vlan, mac: station(Int(port) * 100 + n), port: port, now: 0) }
            }
            try fdb.addStatic(vlan: 10, mac: station(Int(port) * 100 + 50), port: port)
        }
        #expect(fdb.count == 27)
        return fdb
    }

    @Test func flushByPortKeepsOtherPortsAndStatics() throws {
        let fdb = try populated()
        #expect(fdb.flush(port: 2) == 8)
        #expect(fdb.entryCount(port: 2) == 1)
        #expect(fdb.entryCount(port: 1) == 9 && fdb.entryCount(port: 3) == 9)
        #expect(fdb.flush(port: 2, includeStatic: true) == 1)
        #expect(fdb.entryCount(port: 2) == 0)
    }

    @Test func flushByVLANKeepsOtherVLANs() throws {
        let fdb = try populated()
        #expect(fdb.flush(vlan: 20) == 12)
        #expect(fdb.entries(now: 0).allSatisfy { $0.vlan == 10 })
        #expect(fdb.flush(vlan: 10) == 12)
        #expect(fdb.count == 3)
        #expect(fdb.flush(vlan: 10, includeStatic: true) == 3)
    }

    @Test func flushByPortAndVLANKeepsThePortsOtherVLANsAndOtherPorts() throws {
        let fdb = try populated()
        #expect(fdb.flush(port: 2, vlan: 20) == 4)
        #expect(fdb.entries(now: 0).filter { $0.port == 2 }.allSatisfy { $0.vlan == 10 })
        // Control: port 2's VLAN 10 (4 learned + 1 static) and the other ports' VLAN 20 stay.
        #expect(fdb.entryCount(port: 2) == 5)
        #expect(fdb.entries(now: 0).filter { $0.vlan == 20 }.count == 8)
        #expect(fdb.flush(port: 2, vlan: 10) == 4)
        #expect(fdb.flush(port: 2, vlan: 10, includeStatic: true) == 1)
        #expect(fdb.entryCount(port: 2) == 0)
    }

    @Test func flushAll() throws {
        let fdb = try populated()
        #expect(fdb.flushAll() == 24)
        #expect(fdb.count == 3 && fdb.statistics.staticEntries == 3)
        #expect(fdb.flushAll(includeStatic: true) == 3)
        #expect(fdb.count == 0)
        #expect(fdb.statistics.flushed == 27)
        for port: UInt16 in 1...3 { #expect(fdb.entryCount(port: port) == 0) }
    }

    @Test func removeSingleEntry() throws {
        let fdb = try populated()
        #expect(fdb.remove(vlan: 10, mac: station(100)))
        #expect(!fdb.remove(vlan: 10, mac: station(100)))
        #expect(fdb.lookup(vlan: 20, mac: station(100)) == 1)
    }
}
