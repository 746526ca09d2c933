import Testing
import Uplink

/// The vxlan port's MAC → VTEP table (docs/vxlan-ports.md, "Learning"): fixed size whatever the
/// underlay sends, newest answer wins, entries age.
@Suite struct VxlanRemoteTableTests {
    @Test func aMACIsFoundBehindTheVTEPItLastCameFromUntilItAges() {
        let t = VxlanRemoteTable()
        let mac: UInt64 = 0x02AA_0000_0001
        #expect(t.lookup(mac: mac, now: 10, maxAge: 300) == nil)
        t.learn(mac: mac, address: 0x0200_FF0A, now: 10)
        #expect(t.lookup(mac: mac, now: 10, maxAge: 300) == 0x0200_FF0A)
        // It moves to another VTEP: the newer one answers.
        t.learn(mac: mac, address: 0x0300_FF0A, now: 20)
        #expect(t.lookup(mac: mac, now: 20, maxAge: 300) == 0x0300_FF0A)
        #expect(t.entries(now: 20, maxAge: 300).count == 1)
        // Older than the FDB's aging time: not used (positive control just above).
        #expect(t.lookup(mac: mac, now: 321, maxAge: 300) == nil)
        #expect(t.entries(now: 321, maxAge: 300).isEmpty)
    }

    @Test func aFloodOfMACsFromAHostileUnderlayNeverGrowsTheTableAndTheNewestAreKept() {
        let t = VxlanRemoteTable()
        let count = 3 * VxlanRemoteTable.capacity
        for i in 0..<count { t.learn(mac: 0x0200_0000_0000 | UInt64(i), address: UInt32(i), now: UInt32(i / 100)) }
        let entries = t.entries(now: UInt32(count / 100), maxAge: 10_000)
        #expect(entries.count <= VxlanRemoteTable.capacity)
        #expect(entries.count > VxlanRemoteTable.capacity / 2, "the table fills, it does not collapse")
        // The last MAC learned is always found.
        let last = UInt64(count - 1)
        #expect(t.lookup(mac: 0x0200_0000_0000 | last, now: UInt32(count / 100), maxAge: 10_000) == UInt32(count - 1))
    }
}
