import Testing
import SwitchCore

@Suite struct ForwardingRuleTests {
    func threeAccessPorts() throws -> Bridge {
        let engine = makeEngine()
        for p: UInt16 in 1...3 { try engine.addPort(p, name: "p\(p)", mode: .access(vlan: 1)) }
        return engine
    }

    @Test(arguments: Array(UInt8(0)...0x0F))
    func neverForwardsLinkLocalReservedAddresses(last: UInt8) throws {
        let engine = try threeAccessPorts()
        let d = engine.send(frame(from: station(1), to: MACAddress(0x01, 0x80, 0xC2, 0, 0, last)), on: 1)
        #expect(d.action == .drop(.linkLocal))
        #expect(d.vlan == 1)
    }

    @Test func forwardsTheAddressJustAboveLinkLocalRange() throws {
        let engine = try threeAccessPorts()
        #expect(engine.send(frame(from: station(1), to: MACAddress(0x01, 0x80, 0xC2, 0, 0, 0x10)), on: 1).action == .flood)
    }

    @Test(arguments: [MACAddress.broadcast, multicastGroup, MACAddress(0x03, 0, 0, 0, 0, 1)])
    func dropsAndNeverLearnsMulticastSources(source: MACAddress) throws {
        let engine = try threeAccessPorts()
        #expect(engine.send(frame(from: source, to: station(2)), on: 1).action == .drop(.multicastSource))
        #expect(engine.fdb.count == 0)
        #expect(engine.counters(port: 1)?.receiveDrops(.multicastSource) == 1)
    }

    @Test func dropsRuntsWithoutLearning() throws {
        let engine = try threeAccessPorts()
        var runt = frame(from: station(1), to: .broadcast)
        runt.length = 13
        #expect(engine.send(runt, on: 1).action == .drop(.runt))
        var shortTagged = frame(from: station(1), to: .broadcast, vid: 0)
        shortTagged.length = 17
        #expect(engine.send(shortTagged, on: 1).action == .drop(.runt))
        #expect(engine.fdb.count == 0)
    }

    @Test func neverSendsAFrameBackOutOfItsIngressPort() throws {
        let engine = try threeAccessPorts()
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        engine.send(frame(from: station(2), to: .broadcast), on: 1)
        #expect(engine.send(frame(from: station(2), to: station(1)), on: 1).action == .drop(.samePort))
        #expect(!engine.floodTargets(vlan: 1, excluding: 1).contains(1))
    }

    @Test func forwardsLearnedUnicastToItsPortOnly() throws {
        let engine = try threeAccessPorts()
        #expect(engine.send(frame(from: station(1), to: station(2)), on: 1).action == .flood)
        #expect(engine.send(frame(from: station(2), to: station(1)), on: 2).action == .unicast(1))
        #expect(engine.send(frame(from: station(1), to: station(2)), on: 1).action == .unicast(2))
    }

    @Test func learnsPerVLANSoTheSameMACCanLiveInTwoVLANs() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "t1", mode: .trunk(allowed: VLANSet([10, 20]), native: nil))
        try engine.addPort(2, name: "t2", mode: .trunk(allowed: VLANSet([10, 20]), native: nil))
        try engine.addPort(3, name: "t3", mode: .trunk(allowed: VLANSet([10, 20]), native: nil))
        engine.send(frame(from: station(1), to: .broadcast, vid: 10), on: 1)
        engine.send(frame(from: station(1), to: .broadcast, vid: 20), on: 2)
        #expect(engine.send(frame(from: station(9), to: station(1), vid: 10), on: 3).action == .unicast(1))
        #expect(engine.send(frame(from: station(9), to: station(1), vid: 20), on: 3).action == .unicast(2))
        #expect(engine.fdb.statistics.moved == 0)
    }

    @Test func downPortsGetNoFloodsAndUnicastToThemIsDropped() throws {
        let engine = try threeAccessPorts()
        engine.fdb.agingTime = 0
        try engine.fdb.addStatic(vlan: 1, mac: station(3), port: 3)
        engine.send(frame(from: station(2), to: .broadcast), on: 2)
        #expect(engine.setPortUp(3, false))
        #expect(engine.floodTargets(vlan: 1, excluding: 1) == [2])
        #expect(engine.send(frame(from: station(1), to: station(3)), on: 1).action == .drop(.portDown))
        // Frames arriving on a down port are dropped and counted there.
        #expect(engine.send(frame(from: station(3), to: station(1)), on: 3).action == .drop(.portDown))
        #expect(engine.counters(port: 3)?.receiveDrops(.portDown) == 1)
        #expect(engine.setPortUp(3, true))
        #expect(engine.floodTargets(vlan: 1, excluding: 1) == [2, 3])
        #expect(engine.send(frame(from: station(1), to: station(3)), on: 1).action == .unicast(3))
    }

    @Test func portGoingDownFlushesItsLearnedEntries() throws {
        let engine = try threeAccessPorts()
        engine.send(frame(from: station(2), to: .broadcast), on: 2)
        engine.setPortUp(2, false)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(2)) == nil)
    }

    @Test func framesFromUnknownPortsAreDropped() throws {
        let engine = try threeAccessPorts()
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 9).action == .drop(.portDown))
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 60000).action == .drop(.portDown))
        #expect(engine.fdb.count == 0)
    }

    @Test func floodTargetsNeverOverrunTheBuffer() throws {
        let engine = try threeAccessPorts()
        var two = [UInt16](repeating: 0xFFFF, count: 3)
        let n = two.withUnsafeMutableBufferPointer { buffer in
            engine.floodTargets(vlan: 1, excluding: 0, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<2]))
        }
        #expect(n == 2 && two == [1, 2, 0xFFFF])
    }

    @Test func decidesAWholeBurstInOrder() throws {
        let engine = try threeAccessPorts()
        engine.send(frame(from: station(2), to: .broadcast), on: 2)
        let burst = [
            frame(from: station(1), to: station(2)),
            frame(from: station(1), to: .broadcast),
            frame(from: multicastGroup, to: station(2)),
            frame(from: station(1), to: stpAddress),
            frame(from: station(4), to: station(1)),
        ]
        var decisions = [ForwardingDecision](repeating: .drop(.txError), count: burst.count)
        burst.withUnsafeBufferPointer { frames in
            decisions.withUnsafeMutableBufferPointer { out in
                engine.decide(ingress: 1, frames: frames.baseAddress!, count: frames.count, into: out.baseAddress!, now: 0)
            }
        }
        #expect(decisions.map(\.action) == [.unicast(2), .flood, .drop(.multicastSource), .drop(.linkLocal), .drop(.samePort)])
    }
}
