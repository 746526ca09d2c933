import Testing
import SwitchCore

@Suite struct VLANSetTests {
    @Test func containsExactlyWhatWasInserted() {
        var set = VLANSet([1, 10, 63, 64, 4094])
        #expect(set.members == [1, 10, 63, 64, 4094])
        #expect(set.contains(64) && !set.contains(65))
        set.remove(64)
        #expect(!set.contains(64))
        #expect(set.count == 4)
    }

    @Test func neverAdmitsPriorityTagOrReservedVID() {
        var set = VLANSet()
        let insertedZero = set.insert(0)
        let inserted4095 = set.insert(4095)
        #expect(!insertedZero && !inserted4095)
        #expect(!set.contains(0) && !set.contains(4095) && !set.contains(60000))
        #expect(set.isEmpty)
        #expect(VLANSet.all.count == 4094)
        #expect(!VLANSet(ranges: [0...4095]).contains(4095))
    }

    @Test func buildsFromRanges() {
        let set = VLANSet(ranges: [10...12, 100...100])
        #expect(set.members == [10, 11, 12, 100])
        #expect(set.union(VLANSet([5])).members == [5, 10, 11, 12, 100])
    }

    @Test func trunkNativeVLANCountsAsMember() {
        let mode = PortMode.trunk(allowed: VLANSet([20]), native: 10)
        #expect(mode.memberVLANs.members == [10, 20])
        #expect(mode.carries(10) && mode.carries(20) && !mode.carries(30))
        #expect(PortMode.access(vlan: 7).memberVLANs.members == [7])
    }
}
