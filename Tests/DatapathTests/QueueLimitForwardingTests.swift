@testable import Datapath
import Foundation
import SwitchConfig
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Queue pairs by default (docs/vhost-user-protocol.md#queue-pairs), through the real engine
/// thread over real sockets and shared memory: a port whose YAML names no `queues:` gives a front-end
/// the pairs it asks for, frames cross on the pair they were sent on, pairs nobody enables are never
/// polled, and a front-end wanting more than the limit is refused without harm to the port.
@Suite(.serialized) struct QueueLimitForwardingTests {
    /// The queue-pair limit the YAML gives each named vhost-user port.
    private func limits(_ ports: String) throws -> [String: Int] {
        let configuration = try SwitchConfiguration.parse(yaml: "ports:\n" + ports, file: "test.yaml")
        var limits: [String: Int] = [:]
        for port in configuration.ports {
            if case .vhostUser(_, _, let queues) = port.kind { limits[port.name] = queues }
        }
        return limits
    }

    /// Re-creates a not yet connected port of `h` allowing `pairs` queue pairs.
    private func allow(_ h: SwitchHarness, _ name: String, pairs: Int) throws {
        let spec = PortSpecification(name: name, kind: .vhostUser(socketPath: h.socketPath(name), mode: .server, queuePairs: pairs),
                                     vlan: .access(vlan: 1), macLimit: nil, mtu: 1500)
        try h.engine.perform { e -> Result<Void, EngineError> in
            _ = e.removePort(named: name)
            return e.addPort(spec)
        }.get().get()
    }

    private func options(pairs: Int) -> TestFrontEnd.Options {
        var options = TestFrontEnd.Options()
        options.queuePairs = pairs
        return options
    }

    /// Frames arriving on `port`'s receiveq `queue` within `timeout`.
    private func received(_ h: SwitchHarness, _ port: String, queue: Int, expected: Int = 1,
                          timeout: Double = 2) throws -> [[UInt8]] {
        let fe = try h.frontEnd(port)
        var frames: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            frames += try fe.receivedFrames(queue: queue)
            if expected > 0 && frames.count >= expected { break }
            usleep(2_000)
        }
        return frames
    }

    private func runtime(_ h: SwitchHarness, _ name: String) throws -> PortRuntime {
        try #require(try h.engine.perform { $0.portRuntime() }.get().first { $0.spec.name == name })
    }

    @Test func aPortWithoutQueuesGivesAFrontEndTheFourPairsItAsksForAndFramesCrossOnPairThree() throws {
        let yaml = try limits("""
              - {name: a, type: vhost-user, socket: a.sock}
              - {name: b, type: vhost-user, socket: b.sock}
            """)
        #expect(yaml == ["a": 8, "b": 8])
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        for (name, pairs) in yaml { try allow(h, name, pairs: pairs) }
        let a = try h.connect("a", options: options(pairs: 4))
        let b = try h.connect("b", options: options(pairs: 4))

        // Four of eight pairs run; only their four TX rings per port are polled.
        for name in ["a", "b"] {
            let r = try runtime(h, name)
            #expect(r.enabledQueuePairs == 4)
            #expect(r.spec.kind == .vhostUser(socketPath: h.socketPath(name), mode: .server, queuePairs: 8))
            #expect(r.state == .running)
        }
        let polled = try h.engine.perform { e in e.pollList.map { $0.pair } }.get()
        #expect(polled.sorted() == [0, 0, 1, 1, 2, 2, 3, 3])

        // b speaks first on its pair 3: the flood reaches a on a's pair 3, and b is learned.
        let fromB = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0xB))
        try b.send(frame: fromB, queue: 3)
        #expect(try received(h, "a", queue: 3) == [fromB])
        // a answers on its pair 3: unicast to b, into b's receiveq 3.
        let toB = HarnessFrames.make(to: HarnessFrames.mac(0xB), from: HarnessFrames.mac(0xA), length: 200)
        try a.send(frame: toB, queue: 3)
        #expect(try received(h, "b", queue: 3) == [toB])
        // Nowhere else: the other receive queues of both stay empty (the same reads just found the
        // frames on pair 3).
        for queue in 0..<3 {
            #expect(try received(h, "a", queue: queue, expected: 0, timeout: 0.1).isEmpty)
            #expect(try received(h, "b", queue: queue, expected: 0, timeout: 0.1).isEmpty)
        }
        #expect(try h.counters("b").transmittedFrames == 1)
        #expect(try h.counters("a").transmittedFrames == 1)
    }

    @Test func frontEndsWantingMoreThanTheLimitAreRefusedAndOneWithinItIsServed() throws {
        let yaml = try limits("""
              - {name: c, type: vhost-user, socket: c.sock, queues: 2}
              - {name: d, type: vhost-user, socket: d.sock}
            """)
        #expect(yaml == ["c": 2, "d": 8])
        let h = try SwitchHarness(ports: [("c", .access(vlan: 1)), ("d", .access(vlan: 1))])
        for (name, pairs) in yaml { try allow(h, name, pairs: pairs) }
        let d = try h.connect("d", options: options(pairs: 2))

        // QEMU-like: asks GET_QUEUE_NUM, sees 2, and gives up on its own.
        let qemu = try TestFrontEnd(connectingTo: h.socketPath("c"), options: options(pairs: 3))
        #expect(throws: TestFrontEndError.badReply("GET_QUEUE_NUM 2 < 3")) { try qemu.negotiate() }
        qemu.disconnect()
        // DPDK-like: does not ask, sets up ring 4 anyway; the port closes the connection.
        var dpdkOptions = options(pairs: 3)
        dpdkOptions.layout = .identity
        let dpdk = try TestFrontEnd(connectingTo: h.socketPath("c"), options: dpdkOptions)
        #expect(throws: (any Error).self) { try dpdk.dpdkBoot() }
        dpdk.disconnect()
        #expect(try runtime(h, "c").enabledQueuePairs == 0)

        // Positive control: the port still listens, and a front-end within the limit runs both
        // pairs and switches on pair 1, to the default-limit port next to it.
        let c = try h.connect("c", options: options(pairs: 2))
        #expect(try runtime(h, "c").enabledQueuePairs == 2)
        #expect(try runtime(h, "c").state == .running)
        let fromD = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0xD))
        try d.send(frame: fromD, queue: 1)
        #expect(try received(h, "c", queue: 1) == [fromD])
        let toD = HarnessFrames.make(to: HarnessFrames.mac(0xD), from: HarnessFrames.mac(0xC))
        try c.send(frame: toD, queue: 1)
        #expect(try received(h, "d", queue: 1) == [toD])
    }
}
