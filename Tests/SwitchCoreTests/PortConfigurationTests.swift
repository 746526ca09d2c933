import Testing
import SwitchCore

@Suite struct PortConfigurationTests {
    @Test func refusesInvalidConfigurationWithoutTrapping() throws {
        let engine = makeEngine(maxPorts: 8)
        #expect(throws: PortConfigurationError.indexOutOfRange(index: 8, maxPorts: 8)) {
            try engine.addPort(8, name: "x", mode: .access(vlan: 1))
        }
        #expect(throws: PortConfigurationError.invalidVLAN(0)) { try engine.addPort(1, name: "x", mode: .access(vlan: 0)) }
        #expect(throws: PortConfigurationError.invalidVLAN(4095)) {
            try engine.addPort(1, name: "x", mode: .trunk(allowed: .all, native: 4095))
        }
        #expect(throws: PortConfigurationError.invalidMACLimit(-1)) {
            try engine.addPort(1, name: "x", mode: .access(vlan: 1), macLimit: -1)
        }
        try engine.addPort(1, name: "x", mode: .access(vlan: 1))
        #expect(throws: PortConfigurationError.portExists(1)) { try engine.addPort(1, name: "y", mode: .access(vlan: 1)) }
        #expect(throws: PortConfigurationError.noSuchPort(2)) { try engine.updatePort(2, name: "y", mode: .access(vlan: 1)) }
        #expect(!engine.removePort(2))
    }

    @Test func removingAPortForgetsItsEntriesAndFloods() throws {
        let engine = makeEngine()
        for p: UInt16 in 1...3 { try engine.addPort(p, name: "p\(p)", mode: .access(vlan: 1)) }
        engine.send(frame(from: station(2), to: .broadcast), on: 2)
        try engine.fdb.addStatic(vlan: 1, mac: station(22), port: 2)
        #expect(engine.removePort(2))
        #expect(engine.fdb.entryCount(port: 2) == 0 && engine.fdb.count == 0)
        #expect(engine.floodTargets(vlan: 1, excluding: 1) == [3])
        #expect(engine.counters(port: 2) == nil)
        #expect(engine.portIndices == [1, 3])
        // Re-adding starts from zeroed counters.
        try engine.addPort(2, name: "again", mode: .access(vlan: 1))
        #expect(engine.counters(port: 2) == PortCounters())
    }

    @Test func changingModeKeepsEntriesInVLANsStillCarried() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "t", mode: .trunk(allowed: VLANSet([10, 20, 30]), native: nil))
        try engine.addPort(2, name: "o", mode: .trunk(allowed: VLANSet([10, 20, 30]), native: nil))
        for vlan: UInt16 in [10, 20, 30] { engine.send(frame(from: station(1), to: .broadcast, vid: vlan), on: 1) }
        try engine.fdb.addStatic(vlan: 30, mac: station(5), port: 1)
        try engine.updatePort(1, name: "t", mode: .trunk(allowed: VLANSet([20]), native: 10))
        #expect(engine.fdb.lookup(vlan: 10, mac: station(1)) == 1)
        #expect(engine.fdb.lookup(vlan: 20, mac: station(1)) == 1)
        #expect(engine.fdb.lookup(vlan: 30, mac: station(1)) == nil)
        #expect(engine.fdb.lookup(vlan: 30, mac: station(5)) == nil)
        // Untagged now classifies into the native VLAN.
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 1).vlan == 10)
        #expect(engine.egressTag(port: 1, vlan: 10) == .untagged)
    }

    @Test func changingToAccessMakesTheEgressUntaggedAndDropsTags() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "p", mode: .trunk(allowed: VLANSet([10]), native: nil))
        try engine.updatePort(1, name: "p", mode: .access(vlan: 10), macLimit: 1)
        #expect(engine.portMode(1) == .access(vlan: 10))
        #expect(engine.egressTag(port: 1, vlan: 10) == .untagged)
        #expect(engine.send(frame(from: station(1), to: .broadcast, vid: 10), on: 1).action == .drop(.vlanTaggedOnAccess))
        #expect(engine.fdb.macLimit(port: 1) == 1)
    }

    @Test func updateKeepsCountersAndLinkState() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "p", mode: .access(vlan: 10))
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        engine.setPortUp(1, false)
        try engine.updatePort(1, name: "renamed", mode: .access(vlan: 10))
        #expect(engine.snapshot(port: 1)?.name == "renamed")
        #expect(engine.isPortUp(1) == false)
        #expect(engine.counters(port: 1)?.receivedFrames == 1)
    }

    @Test func staticEntriesConfiguredBeforeTheirPortSurviveItsAddition() throws {
        let engine = makeEngine()
        try engine.fdb.addStatic(vlan: 10, mac: station(1), port: 2)
        try engine.fdb.addStatic(vlan: 20, mac: station(2), port: 2)
        try engine.addPort(1, name: "a", mode: .access(vlan: 10))
        // Unicast to a port that does not exist yet is dropped, never sent.
        #expect(engine.send(frame(from: station(9), to: station(1)), on: 1).action == .drop(.portDown))
        try engine.addPort(2, name: "b", mode: .access(vlan: 10))
        #expect(engine.send(frame(from: station(9), to: station(1)), on: 1).action == .unicast(2))
        #expect(engine.fdb.lookup(vlan: 20, mac: station(2)) == nil) // VLAN 20 is not carried
    }
}
