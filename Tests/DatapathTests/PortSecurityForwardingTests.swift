import Datapath
import Foundation
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Port security through the real engine thread, over real vhost-user sockets and shared memory
/// (docs/port-security.md): MAC floods against the limit, allow-lists and SEND_RARP, storm control,
/// isolation. Each scenario ends with `expectAccountingAddsUp`.
@Suite(.serialized) struct PortSecurityForwardingTests {
    /// Re-creates a not yet connected port with a MAC limit and security settings.
    private func configure(_ h: SwitchHarness, _ name: String, macLimit: Int? = nil,
                           security: PortSecurity = .none) throws {
        let spec = PortSpecification(name: name, kind: .vhostUser(socketPath: h.socketPath(name), mode: .server, queuePairs: 1),
                                     vlan: .access(vlan: 1), macLimit: macLimit, mtu: 1500, security: security)
        try h.engine.perform { e -> Result<Void, EngineError> in
            _ = e.removePort(named: name)
            return e.addPort(spec)
        }.get().get()
    }

    private func bridge<T>(_ h: SwitchHarness, _ body: @escaping (Bridge) -> T) throws -> T {
        try h.engine.perform { body($0.bridge) }.get()
    }

    private func index(_ h: SwitchHarness, _ name: String) throws -> UInt16 {
        try #require(try h.engine.perform { $0.portIndex(named: name) }.get())
    }

    /// Sends every frame, waiting for the back-end to return TX buffers when the ring is full.
    private func sendAll(_ fe: TestFrontEnd, _ frames: [[UInt8]]) throws {
        for f in frames {
            var tries = 0
            while true {
                do {
                    try fe.send(frame: f)
                    break
                } catch TestFrontEndError.ringFull {
                    tries += 1
                    if tries > 20_000 { throw TestFrontEndError.ringFull }
                    usleep(50)
                }
            }
        }
        // Until every buffer came back: the switch has decided every frame.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            _ = fe.reclaimTransmitted()
            if fe.rings[1].inFlight == 0 { return }
            usleep(1_000)
        }
    }

    @Test func hundredThousandRandomSourcesFromOneGuestStayWithinItsLimitAndEvictNobody() throws {
        let h = try SwitchHarness(ports: [("flood", .access(vlan: 1)), ("b", .access(vlan: 1)), ("c", .access(vlan: 1))])
        try configure(h, "flood", macLimit: 256)
        for p in ["flood", "b", "c"] { try h.connect(p) }
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2)))
        try h.frontEnd("c").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3)))
        _ = try h.receive("flood", expected: 2)
        _ = try h.receive("b", expected: 1)
        _ = try h.receive("c", expected: 1)

        var rng = SystemRandomNumberGenerator()
        var frames: [[UInt8]] = []
        frames.reserveCapacity(100_000)
        for _ in 0..<100_000 {
            var src = (0..<6).map { _ in UInt8.random(in: 0...255, using: &rng) }
            src[0] = (src[0] & 0xFE) | 0x02  // unicast, locally administered
            frames.append(HarnessFrames.make(to: HarnessFrames.mac(2), from: src, length: 60))
        }
        try sendAll(h.frontEnd("flood"), frames)

        let flood = try index(h, "flood")
        let (learned, evicted, cKnown, bKnown) = try bridge(h) { bridge in
            (bridge.fdb.dynamicEntryCount(port: flood), bridge.fdb.statistics.evicted,
             bridge.fdb.lookup(vlan: 1, mac: MACAddress(rawValue: 0x5254_0000_0003)),
             bridge.fdb.lookup(vlan: 1, mac: MACAddress(rawValue: 0x5254_0000_0002)))
        }
        #expect(learned == 256)
        #expect(evicted == 0)
        #expect(cKnown != nil && bKnown != nil, "the other guests' entries stay")
        let counters = try h.counters("flood")
        #expect(counters.receivedFrames == 100_000 + 0)
        #expect(counters.receiveDrops(.macLimit) == 100_000 - 256)
        // Positive control: c still reaches b by unicast.
        let hello = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(3), length: 70)
        _ = try h.receive("b", expected: 256, timeout: 0.5)
        try h.frontEnd("c").send(frame: hello)
        #expect(try h.receive("b", expected: 1).last == hello)
        expectAccountingAddsUp(h.engine)
    }

    @Test func allowListDropsForeignSourcesKeepsTheOwnersEntryAndRefusesSendRARP() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try configure(h, "a", security: PortSecurity(allowedSources: [MACAddress(rawValue: 0x5254_0000_0001)]))
        for p in ["a", "b"] { try h.connect(p) }
        let spoofed = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9))
        try h.frontEnd("a").send(frame: spoofed)
        #expect(try h.receivesNothing("b"))
        #expect(try h.counters("a").receiveDrops(.sourceMACNotAllowed) == 1)
        // Positive control: the allowed source is delivered.
        let allowed = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1))
        try h.frontEnd("a").send(frame: allowed)
        #expect(try h.receive("b", expected: 1) == [allowed])

        // b, without an allow-list, may not take a's address: dropped, and a's entry stays.
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1)))
        #expect(try h.receivesNothing("a"))
        #expect(try h.counters("b").receiveDrops(.sourceMACNotAllowed) == 1)
        let a = try index(h, "a")
        #expect(try bridge(h) { $0.fdb.lookup(vlan: 1, mac: MACAddress(rawValue: 0x5254_0000_0001)) } == a)

        // SEND_RARP for a forbidden MAC is refused and counted; for the allowed one it goes out.
        try h.frontEnd("a").request(.sendRARP, HarnessFrames.mac(7) + [0, 0])
        #expect(try h.receivesNothing("b"))
        #expect(try h.counters("a").receiveDrops(.sourceMACNotAllowed) == 2)
        try h.frontEnd("a").request(.sendRARP, HarnessFrames.mac(1) + [0, 0])
        let rarp = try h.receive("b", expected: 1)
        #expect(rarp.count == 1 && Array(rarp.first?[6..<12] ?? []) == HarnessFrames.mac(1)
            && Array(rarp.first?[12..<14] ?? []) == [0x80, 0x35])
        expectAccountingAddsUp(h.engine)
    }

    @Test func stormControlCapsBroadcastsButNotKnownUnicast() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try configure(h, "a", security: PortSecurity(stormControl: StormControl(broadcast: 20)))
        for p in ["a", "b"] { try h.connect(p) }
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2)))
        _ = try h.receive("a", expected: 1)
        try sendAll(h.frontEnd("a"), (0..<60).map { _ in HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1)) })
        let got = try h.receive("b", expected: 60, timeout: 0.5).count
        // 20 per second of the engine's clock: 20, or 40 if the sends straddled a second.
        #expect(got == 20 || got == 40, "\(got) broadcasts passed")
        #expect(try h.counters("a").receiveDrops(.stormControl) == UInt64(60 - got))
        // Positive control: known unicast is not limited.
        let unicast = (0..<60).map { n in HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 60 + n) }
        try sendAll(h.frontEnd("a"), unicast)
        #expect(try h.receive("b", expected: 60) == unicast)
        expectAccountingAddsUp(h.engine)
    }

    @Test func isolatedGuestsReachTheUplinkButNotEachOther() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1)), ("up", .access(vlan: 1))])
        try configure(h, "a", security: PortSecurity(isolated: true))
        try configure(h, "b", security: PortSecurity(isolated: true))
        for p in ["a", "b", "up"] { try h.connect(p) }
        let fromA = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1))
        try h.frontEnd("a").send(frame: fromA)
        #expect(try h.receive("up", expected: 1) == [fromA])
        #expect(try h.receivesNothing("b"), "a flood from an isolated port skips isolated ports")
        let fromUp = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3))
        try h.frontEnd("up").send(frame: fromUp)
        #expect(try h.receive("a", expected: 1) == [fromUp])
        #expect(try h.receive("b", expected: 1) == [fromUp], "floods from the uplink reach every port")

        // b knows a's address (learned from a's broadcast) but may not send to it.
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2)))
        #expect(try h.receivesNothing("a"))
        #expect(try h.counters("b").receiveDrops(.portIsolated) == 1)
        // Positive controls: isolated ↔ uplink unicast both ways.
        let aToUp = HarnessFrames.make(to: HarnessFrames.mac(3), from: HarnessFrames.mac(1), length: 90)
        try h.frontEnd("a").send(frame: aToUp)
        #expect(try h.receive("up", expected: 1) == [aToUp])
        let upToB = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(3), length: 91)
        try h.frontEnd("up").send(frame: upToB)
        #expect(try h.receive("b", expected: 1) == [upToB])
        expectAccountingAddsUp(h.engine)
    }
}
