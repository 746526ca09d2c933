import Testing
@testable import SwitchCore

/// The open-addressing table against a dictionary model under random learn / remove / expire.
@Suite struct FDBHashTableTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func matchesADictionaryModelUnderRandomOperations(seed: UInt64) {
        var rng = SplitMix64(state: seed)
        let fdb = ForwardingDatabase(capacity: 300, agingTime: 0, maxPorts: 8, hashSeed: seed)
        var model: [UInt64: UInt16] = [:]
        for _ in 0..<20_000 {
            let vlan = UInt16(1 + rng.next() % 3)
            let mac = station(Int(rng.next() % 400))
            let key = UInt64(vlan) << 48 | mac.rawValue
            if rng.next() % 3 == 0 {
                #expect(fdb.remove(vlan: vlan, mac: mac) == (model.removeValue(forKey: key) != nil))
            } else if model[key] != nil || model.count < 300 {
                let port = UInt16(rng.next() % 8)
                fdb.learn(vlan: vlan, mac: mac, port: port, now: 0)
                model[key] = port
            }
        }
        #expect(fdb.count == model.count)
        for (key, port) in model {
            #expect(fdb.lookup(vlan: UInt16(key >> 48), mac: MACAddress(rawValue: key)) == port)
        }
        var perPort = [Int](repeating: 0, count: 8)
        for port in model.values { perPort[Int(port)] += 1 }
        for p in 0..<8 { #expect(fdb.entryCount(port: UInt16(p)) == perPort[p]) }
        #expect(fdb.entries(now: 0).count == model.count)
    }

    @Test func sizesSlotsToAtLeastTwiceCapacity() {
        #expect(ForwardingDatabase(capacity: 8192, hashSeed: 0).slotCount == 16384)
        #expect(ForwardingDatabase(capacity: 1000, hashSeed: 0).slotCount == 2048)
        #expect(ForwardingDatabase(capacity: 8192, hashSeed: 0).capacity == 8192)
    }

    @Test func spreadsSequentialAddressesEvenlyWhenFull() {
        let fdb = ForwardingDatabase(capacity: 8192, agingTime: 300, maxPorts: 16, hashSeed: 0xABCD)
        for n in 0..<8192 {
            #expect(fdb.learn(vlan: UInt16(1 + n % 4), mac: station(n), port: UInt16(n % 16), now: 0) == .learned)
        }
        #expect(fdb.isFull)
        #expect(fdb.longestProbe < 64)
    }

    @Test func rejectsInvalidLearning() {
        let fdb = ForwardingDatabase(capacity: 16, agingTime: 300, maxPorts: 4, hashSeed: 0)
        #expect(fdb.learn(vlan: 1, mac: .broadcast, port: 1, now: 0) == .rejected)
        #expect(fdb.learn(vlan: 0, mac: station(1), port: 1, now: 0) == .rejected)
        #expect(fdb.learn(vlan: 1, mac: station(1), port: 4, now: 0) == .rejected)
        // VLAN 0 + MAC 0 hashes to key 0, the empty-slot marker: must not match an empty slot.
        #expect(fdb.learn(vlan: 0, mac: .zero, port: 1, now: 0) == .rejected)
        #expect(fdb.lookup(vlan: 0, mac: .zero) == nil)
        #expect(fdb.count == 0)
    }
}
