import SwitchCore
import Testing

/// MAC limits under a flood, source allow-lists, storm control and isolation in the core
/// (docs/port-security.md). Every test ends with the receive-side identity on every port.
@Suite struct PortSecurityTests {
    private func expectBalanced(_ engine: Bridge, sourceLocation: SourceLocation = #_sourceLocation) {
        for port in engine.portIndices {
            #expect(engine.counters(port: port)?.receiveSideBalances == true, "port \(port)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Decides `headers` as one burst on `port`.
    @discardableResult
    private func burst(_ engine: Bridge, _ headers: [FrameHeader], on port: UInt16,
                       at now: UInt32 = 1) -> [ForwardingDecision] {
        var decisions = [ForwardingDecision](repeating: .drop(.runt), count: headers.count)
        headers.withUnsafeBufferPointer { h in
            decisions.withUnsafeMutableBufferPointer { d in
                engine.decide(ingress: port, frames: h.baseAddress!, count: h.count, into: d.baseAddress!, now: now)
            }
        }
        return decisions
    }

    @Test func hundredThousandRandomSourcesStayWithinTheLimitAndEvictNobody() throws {
        // A table small enough that the flood would fill it many times over.
        let engine = makeEngine(capacity: 64)
        try engine.addPort(0, name: "flooder", mode: .access(vlan: 1), macLimit: 16)
        try engine.addPort(1, name: "victim", mode: .access(vlan: 1), macLimit: 16)
        try engine.addPort(2, name: "uplink", mode: .access(vlan: 1))
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        for n in 0..<47 { engine.send(frame(from: station(500 + n), to: .broadcast), on: 2) }
        var rng = SplitMix64(state: 7)
        var headers: [FrameHeader] = []
        for _ in 0..<100_000 {
            // Random locally administered unicast sources.
            let mac = MACAddress(rawValue: (rng.next() & 0xFEFF_FFFF_FFFF) | 0x0200_0000_0000)
            headers.append(frame(from: mac, to: station(1)))
            if headers.count == 32 { burst(engine, headers, on: 0); headers.removeAll(keepingCapacity: true) }
        }
        #expect(engine.fdb.dynamicEntryCount(port: 0) == 16)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(1)) == 1)
        #expect(engine.fdb.dynamicEntryCount(port: 2) == 47 && engine.fdb.isFull)
        #expect(engine.fdb.statistics.evicted == 0)
        let c = try #require(engine.counters(port: 0))
        #expect(c.receiveDrops(.macLimit) == 100_000 - 16)
        #expect(c.forwarded == 16, "the 16 learned sources reached the victim's station")
        // Positive control: the victim's port still learns and talks.
        #expect(engine.send(frame(from: station(2), to: station(500)), on: 1).action == .unicast(2))
        expectBalanced(engine)
    }

    @Test func aFullTableEvictsFromTheBiggestPortNeverFromAPortAtItsLimit() throws {
        let engine = makeEngine(capacity: 8)
        try engine.addPort(0, name: "guest", mode: .access(vlan: 1), macLimit: 4)
        try engine.addPort(1, name: "small", mode: .access(vlan: 1), macLimit: 4)
        try engine.addPort(2, name: "uplink", mode: .access(vlan: 1))
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        for n in 0..<5 { engine.send(frame(from: station(100 + n), to: .broadcast), on: 2) }
        for n in 0..<2 { engine.send(frame(from: station(200 + n), to: .broadcast), on: 0) }
        #expect(engine.fdb.isFull)
        // Table full, the guest below its limit: one of the uplink's (the biggest) entries goes.
        #expect(engine.send(frame(from: station(202), to: .broadcast), on: 0).action == .flood)
        #expect(engine.fdb.dynamicEntryCount(port: 2) == 4 && engine.fdb.statistics.evicted == 1)
        // At its limit the guest evicts nothing more.
        engine.send(frame(from: station(203), to: .broadcast), on: 0)
        #expect(engine.send(frame(from: station(204), to: .broadcast), on: 0).action == .drop(.macLimit))
        #expect(engine.fdb.statistics.evicted == 2)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(1)) == 1, "the small port is never the victim")
        expectBalanced(engine)
    }

    @Test func allowListDropsOtherSourcesUnlearnedAndPassesTheAllowedOne() throws {
        let engine = makeEngine()
        try engine.addPort(0, name: "vm", mode: .access(vlan: 1))
        try engine.addPort(1, name: "other", mode: .access(vlan: 1))
        try engine.setSecurity(0, PortSecurity(allowedSources: [station(1), station(2)]))
        #expect(engine.send(frame(from: station(9), to: .broadcast), on: 0).action == .drop(.sourceMACNotAllowed))
        #expect(engine.fdb.lookup(vlan: 1, mac: station(9)) == nil)
        // Positive control: the allowed addresses flood and are learned.
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 0).action == .flood)
        #expect(engine.send(frame(from: station(2), to: .broadcast), on: 0).action == .flood)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(1)) == 0)
        #expect(engine.counters(port: 0)?.receiveDrops(.sourceMACNotAllowed) == 1)
        // Runts and group sources keep their own reasons.
        #expect(engine.send(frame(from: multicastGroup, to: .broadcast), on: 0).action == .drop(.multicastSource))
        expectBalanced(engine)
    }

    @Test func aPortWithoutAnAllowListCannotTakeAGuardedAddress() throws {
        let engine = makeEngine()
        try engine.addPort(0, name: "guarded", mode: .access(vlan: 1))
        try engine.addPort(1, name: "spoofer", mode: .access(vlan: 1))
        try engine.addPort(2, name: "third", mode: .access(vlan: 1))
        try engine.setSecurity(0, PortSecurity(allowedSources: [station(1)]))
        engine.send(frame(from: station(1), to: .broadcast), on: 0)
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 1).action == .drop(.sourceMACNotAllowed))
        #expect(engine.fdb.lookup(vlan: 1, mac: station(1)) == 0)
        #expect(engine.fdb.statistics.securityRefusals == 1 && engine.fdb.moves(port: 1) == 0)
        // Positive control: an unguarded address still moves (a migrated station), and is counted.
        engine.send(frame(from: station(5), to: .broadcast), on: 2)
        #expect(engine.send(frame(from: station(5), to: .broadcast), on: 1).action == .flood)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(5)) == 1 && engine.fdb.moves(port: 1) == 1)
        expectBalanced(engine)
    }

    @Test func theGuardedOwnerReclaimsItsAddressFromAnEarlierSpoofer() throws {
        let engine = makeEngine()
        try engine.addPort(0, name: "guarded", mode: .access(vlan: 1))
        try engine.addPort(1, name: "spoofer", mode: .access(vlan: 1))
        try engine.setSecurity(0, PortSecurity(allowedSources: [station(1)]))
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(1)) == 1)
        engine.send(frame(from: station(1), to: .broadcast), on: 0)
        #expect(engine.fdb.lookup(vlan: 1, mac: station(1)) == 0)
        #expect(engine.send(frame(from: station(1), to: .broadcast), on: 1).action == .drop(.sourceMACNotAllowed))
        expectBalanced(engine)
    }

    @Test func stormControlPassesOneSecondsWorthPerKindThenDrops() throws {
        let engine = makeEngine()
        try engine.addPort(0, name: "noisy", mode: .access(vlan: 1))
        try engine.addPort(1, name: "other", mode: .access(vlan: 1))
        try engine.setSecurity(0, PortSecurity(stormControl: StormControl(broadcast: 10, multicast: 5)))
        engine.send(frame(from: station(2), to: .broadcast), on: 1)
        // 25 identical broadcasts in one burst: each takes its own token.
        let broadcasts = burst(engine, Array(repeating: frame(from: station(1), to: .broadcast), count: 25), on: 0)
        #expect(broadcasts.filter { $0.action == .flood }.count == 10)
        #expect(broadcasts.suffix(15).allSatisfy { $0.action == .drop(.stormControl) })
        // Multicast has its own bucket; unknown unicast has none configured.
        let multicast = burst(engine, Array(repeating: frame(from: station(1), to: multicastGroup), count: 8), on: 0)
        #expect(multicast.filter { $0.action == .flood }.count == 5)
        #expect(burst(engine, Array(repeating: frame(from: station(1), to: station(77)), count: 50), on: 0)
            .allSatisfy { $0.action == .flood })
        // Positive control: known unicast is never limited, and the next second refills.
        #expect(burst(engine, Array(repeating: frame(from: station(1), to: station(2)), count: 50), on: 0)
            .allSatisfy { $0.action == .unicast(1) })
        #expect(burst(engine, Array(repeating: frame(from: station(1), to: .broadcast), count: 12), on: 0, at: 2)
            .filter { $0.action == .flood }.count == 10)
        let c = try #require(engine.counters(port: 0))
        #expect(c.receiveDrops(.stormControl) == 15 + 3 + 2)
        expectBalanced(engine)
    }

    @Test func isolatedPortsReachOnlyNonIsolatedPorts() throws {
        let engine = makeEngine()
        for p: UInt16 in 0...2 { try engine.addPort(p, name: "p\(p)", mode: .access(vlan: 1)) }
        try engine.setSecurity(0, PortSecurity(isolated: true))
        try engine.setSecurity(1, PortSecurity(isolated: true))
        #expect(engine.floodTargets(vlan: 1, excluding: 0) == [2])
        #expect(engine.floodTargets(vlan: 1, excluding: 2) == [0, 1])
        engine.send(frame(from: station(0), to: .broadcast), on: 0)
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        engine.send(frame(from: station(2), to: .broadcast), on: 2)
        #expect(engine.send(frame(from: station(0), to: station(1)), on: 0).action == .drop(.portIsolated))
        // Positive controls: isolated ↔ uplink both ways.
        #expect(engine.send(frame(from: station(0), to: station(2)), on: 0).action == .unicast(2))
        #expect(engine.send(frame(from: station(2), to: station(1)), on: 2).action == .unicast(1))
        // Removing the port clears its security: a new port at the index is not isolated.
        engine.removePort(1)
        try engine.addPort(1, name: "fresh", mode: .access(vlan: 1))
        #expect(engine.floodTargets(vlan: 1, excluding: 0) == [1, 2])
        #expect(engine.security(port: 1) == .none)
        expectBalanced(engine)
    }

    @Test func groupOrZeroAllowListEntriesAreRefused() throws {
        let engine = makeEngine()
        try engine.addPort(0, name: "vm", mode: .access(vlan: 1))
        #expect(throws: PortConfigurationError.invalidSourceMAC(multicastGroup)) {
            try engine.setSecurity(0, PortSecurity(allowedSources: [station(1), multicastGroup]))
        }
        #expect(throws: PortConfigurationError.noSuchPort(3)) { try engine.setSecurity(3, .none) }
        #expect(engine.security(port: 0) == .none)
    }
}

@Suite struct MACFlapDetectorTests {
    @Test func reportsManyMovesPerSecondAtMostOncePerQuietPeriod() {
        var d = MACFlapDetector()
        // Positive control: a migration (a few moves) is not flapping.
        #expect(d.check(totalMoves: 3, now: 1) == nil)
        #expect(d.check(totalMoves: 15, now: 2) == 12)
        #expect(d.check(totalMoves: 40, now: 3) == nil, "quiet for a minute after a report")
        #expect(d.check(totalMoves: 41, now: 70) == nil, "one move is no flapping")
        #expect(d.check(totalMoves: 60, now: 71) == 19)
    }

    @Test func movesIntoAPortAreCountedPerPort() throws {
        let engine = makeEngine()
        for p: UInt16 in 0...2 { try engine.addPort(p, name: "p\(p)", mode: .access(vlan: 1)) }
        for n in 0..<12 { engine.send(frame(from: station(n), to: .broadcast), on: 0) }
        for n in 0..<12 { engine.send(frame(from: station(n), to: .broadcast), on: 1) }
        #expect(engine.fdb.moves(port: 1) == 12 && engine.fdb.moves(port: 0) == 0 && engine.fdb.moves(port: 2) == 0)
        var d = MACFlapDetector()
        #expect(d.check(totalMoves: engine.fdb.moves(port: 1), now: 1) == 12)
        // Re-adding a port starts its count afresh.
        engine.removePort(1)
        try engine.addPort(1, name: "again", mode: .access(vlan: 1))
        #expect(engine.fdb.moves(port: 1) == 0)
    }
}
