import Datapath
import Foundation
import LinuxIO
import Logging
import SwitchCore
import Testing
import VhostTestFrontEnd

/// The switch restarts under front-ends that keep their guests (QEMU `reconnect=1`): the rings
/// resume where guest memory says they are, so chains posted while the switch was away are
/// forwarded once, and what the old switch completed is not sent again — except completions a
/// killed switch never published, which are the spec's at-least-once case
/// (docs/memory-hotplug-and-reconnect.md#reconnect-with-ring-state).
@Suite(.serialized) struct ReconnectRingStateTests {
    private func startEngine(_ ports: [(String, String)]) throws -> Engine {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = try Engine(configuration: EngineConfiguration(), logger: logger)
        try engine.start()
        for (name, path) in ports {
            let spec = PortSpecification(name: name, kind: .vhostUser(socketPath: path, mode: .server, queuePairs: 1),
                                         vlan: .access(vlan: 1), macLimit: nil, mtu: 1500)
            try engine.perform { $0.addPort(spec) }.get().get()
        }
        return engine
    }

    /// QEMU with reconnect=N: retries the path until the restarted switch listens.
    private func reconnect(_ fe: TestFrontEnd, to path: String, bases: [UInt16]? = nil) throws -> TestFrontEnd {
        let deadline = ContinuousClock.now + .seconds(2)
        while true {
            if let next = try? fe.reconnected(to: path) {
                try next.resume(bases: bases)
                return next
            }
            guard ContinuousClock.now < deadline else { throw TestFrontEndError.timeout("reconnect") }
            usleep(10_000)
        }
    }

    /// Frame number `n` (in its payload) from a to everyone.
    private func frame(_ n: UInt8) -> [UInt8] {
        var f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0xA1), length: 90)
        f[20] = n
        return f
    }

    private func received(_ b: TestFrontEnd, count: Int) throws -> [UInt8] {
        try b.receivedFrameNumbers(count: count)
    }

    @Test func ringsResumeFromGuestMemoryAfterTheSwitchStopsAndAfterItIsKilled() throws {
        let dir = NSTemporaryDirectory() + "hp-reconnect-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = [("a", "\(dir)/a.sock"), ("b", "\(dir)/b.sock")]
        var engine: Engine? = try startEngine(ports)
        var a = try TestFrontEnd(connectingTo: ports[0].1)
        try a.negotiate(); try a.start()
        var b = try TestFrontEnd(connectingTo: ports[1].1)
        try b.negotiate(); try b.start()
        for n in UInt8(1)...5 { try a.send(frame: frame(n)) }
        #expect(try received(b, count: 5) == [1, 2, 3, 4, 5], "before any restart")
        _ = a.reclaimTransmitted()

        // 1. A clean stop (SIGTERM): every chain taken was completed and published.
        engine?.stop()
        engine = nil
        #expect(a.waitForClose() && b.waitForClose())
        #expect(a.rings[1].usedIndex == 5)
        // The guest goes on sending while the switch is away: three chains in flight.
        for n in UInt8(6)...8 { try a.send(frame: frame(n)) }
        engine = try startEngine(ports)
        // The receiver first: frames flooded before it is back would have nowhere to go.
        b = try reconnect(b, to: ports[1].1)
        a = try reconnect(a, to: ports[0].1)
        #expect(try received(b, count: 3) == [6, 7, 8], "each in-flight frame once; none of 1-5 again")
        #expect(a.rings[1].usedIndex == 8)
        _ = a.reclaimTransmitted()

        // 2. A kill (SIGKILL) mid-burst: the switch had forwarded 7 and 8 but not yet published
        // their used entries. The front-end falls back to the used index, like QEMU; this time it
        // sends base 0, like DPDK virtio-user, and the switch resyncs to the used index itself.
        engine?.stop()
        engine = nil
        #expect(a.waitForClose() && b.waitForClose())
        a.forgetCompletions(ring: 1, count: 2)
        #expect(a.rings[1].usedIndex == 6)
        try a.send(frame: frame(9))
        engine = try startEngine(ports)
        defer { engine?.stop() }
        b = try reconnect(b, to: ports[1].1)
        a = try reconnect(a, to: ports[0].1, bases: [0, 0])
        #expect(try received(b, count: 3) == [7, 8, 9],
                "the two unpublished completions again (at least once), the new frame once, nothing lost")
        #expect(a.rings[1].usedIndex == 9)
        // b's receive ring carried on at its own index through both restarts.
        #expect(b.rings[0].usedIndex == 11)
        a.disconnect(); b.disconnect()
    }
}

extension TestFrontEnd {
    /// What this guest receives until `count` frames came or 2 s passed (plus a short settle for
    /// extras), as the frame numbers the reconnect tests put at byte 20.
    func receivedFrameNumbers(count: Int) throws -> [UInt8] {
        var got: [UInt8] = []
        let deadline = Date().addingTimeInterval(2)
        while got.count < count && Date() < deadline {
            got += try receivedFrames().map { $0[20] }
            usleep(1_000)
        }
        usleep(100_000)
        got += try receivedFrames().map { $0[20] }
        return got
    }
}
