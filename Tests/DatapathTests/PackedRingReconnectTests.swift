import Datapath
import Foundation
import LinuxIO
import Logging
import SwitchCore
import Testing
import VhostTestFrontEnd

/// The switch restarts under a packed-ring front-end that keeps its guest (QEMU `reconnect=1`).
/// QEMU cannot read a packed ring's position from guest memory when its GET_VRING_BASE fails on
/// the dead socket, so it re-sends the base of the previous start; the port's ring journal says
/// where the ring really stands (docs/memory-hotplug-and-reconnect.md, "Packed rings").
@Suite(.serialized) struct PackedRingReconnectTests {
    private func startEngine(_ dir: String, journal: Bool) throws -> Engine {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = try Engine(configuration: EngineConfiguration(ringJournalDirectory: journal ? dir : nil),
                                logger: logger)
        try engine.start()
        for name in ["p", "s"] {
            let spec = PortSpecification(name: name, kind: .vhostUser(socketPath: "\(dir)/\(name).sock", mode: .server,
                                                                      queuePairs: 1),
                                         vlan: .access(vlan: 1), macLimit: nil, mtu: 1500)
            try engine.perform { $0.addPort(spec) }.get().get()
        }
        return engine
    }

    private func reconnect(_ fe: TestFrontEnd, to path: String) throws -> TestFrontEnd {
        let deadline = ContinuousClock.now + .seconds(2)
        while true {
            if let next = try? fe.reconnected(to: path) {
                // QEMU's base after a failed GET_VRING_BASE: the one it sent at the last start
                // (0x80008000 for a ring that started fresh).
                try next.resume(bases: [0, 0])
                return next
            }
            guard ContinuousClock.now < deadline else { throw TestFrontEndError.timeout("reconnect") }
            usleep(10_000)
        }
    }

    private func frame(_ n: UInt8, from mac: UInt8) -> [UInt8] {
        var f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(mac), length: 90)
        f[20] = n
        return f
    }

    private func received(_ fe: TestFrontEnd, count: Int) throws -> [UInt8] {
        try fe.receivedFrameNumbers(count: count)
    }

    /// Frames `range` from `a` to `b`, eight at a time (`b`'s 16-slot RX ring is refilled between
    /// them, as its driver would); what `b` received, as frame numbers.
    private func exchange(_ a: TestFrontEnd, _ b: TestFrontEnd, _ range: ClosedRange<UInt8>, mac: UInt8) throws -> [UInt8] {
        var got: [UInt8] = []
        var next = range.lowerBound
        while next <= range.upperBound {
            let last = min(range.upperBound, next &+ 7)
            try send(a, next...last, mac: mac)
            got += try received(b, count: Int(last - next) + 1)
            if last == range.upperBound { break }
            next = last + 1
        }
        return got
    }

    /// An engine with the journal in a fresh directory, p (packed) and s (split) connected.
    private func start() throws -> (dir: String, engine: Engine, p: TestFrontEnd, s: TestFrontEnd) {
        let dir = NSTemporaryDirectory() + "pk-reconnect-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let engine = try startEngine(dir, journal: true)
        let p = try TestFrontEnd(connectingTo: "\(dir)/p.sock", options: PackedRingForwardingTests.options(packed: true))
        try p.negotiate(); try p.start()
        let s = try TestFrontEnd(connectingTo: "\(dir)/s.sock")
        try s.negotiate(); try s.start()
        return (dir, engine, p, s)
    }

    /// Sends frames numbered `range` from `fe` (MAC `mac`), at most 8 in flight: the 16-slot TX
    /// ring is refilled from completions, as a driver does.
    private func send(_ fe: TestFrontEnd, _ range: ClosedRange<UInt8>, mac: UInt8) throws {
        var inFlight = 0
        for n in range {
            let deadline = Date().addingTimeInterval(2)
            while inFlight >= 8 {
                inFlight -= fe.reclaimTransmitted()
                guard Date() < deadline else { throw TestFrontEndError.timeout("TX completions") }
                usleep(1_000)
            }
            try fe.send(frame: frame(n, from: mac))
            inFlight += 1
        }
    }

    @Test func packedRingsResumeFromTheJournalWhenTheFrontEndResendsAStaleBase() throws {
        var (dir, engine, p, s): (String, Engine?, TestFrontEnd, TestFrontEnd) = try start()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(p.isPacked && !s.isPacked, "p packed, s split (negotiated)")
        // 21 frames each way through 16-slot rings: both of p's rings are past their first lap.
        #expect(try exchange(p, s, 1...21, mac: 0xA1) == Array(1...21), "p → s before any restart")
        #expect(try exchange(s, p, 1...21, mac: 0xB1) == Array(1...21), "s → p before any restart")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/.p.rings"), "p's ring journal is in the socket directory")

        // 1. A clean stop (SIGTERM) and a restart; p queues three frames while the switch is away.
        engine?.stop()
        engine = nil
        #expect(p.waitForClose() && s.waitForClose())
        try send(p, 22...24, mac: 0xA1)
        engine = try startEngine(dir, journal: true)
        s = try reconnect(s, to: "\(dir)/s.sock")
        p = try reconnect(p, to: "\(dir)/p.sock")
        #expect(try received(s, count: 3) == [22, 23, 24], "p's TX ring resumes at its journal position, not at the stale base")
        try send(s, 22...24, mac: 0xB1)
        #expect(try received(p, count: 3) == [22, 23, 24], "p's RX ring too")

        // 2. Again, with the front-end's base still the stale one: the journal followed the restart.
        engine?.stop()
        engine = nil
        #expect(p.waitForClose() && s.waitForClose())
        try send(p, 25...26, mac: 0xA1)
        engine = try startEngine(dir, journal: true)
        defer { engine?.stop() }
        s = try reconnect(s, to: "\(dir)/s.sock")
        p = try reconnect(p, to: "\(dir)/p.sock")
        #expect(try received(s, count: 2) == [25, 26], "after a second restart")
        #expect(try exchange(p, s, 27...40, mac: 0xA1) == Array(27...40), "and on across the next wrap")
        p.disconnect(); s.disconnect()
    }

    /// A GET_VRING_BASE gives the front-end the right base: the journal entry is cleared, and a
    /// restart then starts from what the front-end sends.
    @Test func aFrontEndThatStoppedTheRingsItselfIsBelievedAfterARestart() throws {
        var (dir, engine, p, s): (String, Engine?, TestFrontEnd, TestFrontEnd) = try start()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try send(p, 1...5, mac: 0xA1)
        #expect(try received(s, count: 5) == Array(1...5))
        let bases = try p.stopRings()
        #expect(bases[1] == 0x8005, "GET_VRING_BASE: slot 5 of the first lap")
        engine?.stop()
        engine = nil
        #expect(p.waitForClose() && s.waitForClose())
        try send(p, 6...7, mac: 0xA1)
        engine = try startEngine(dir, journal: true)
        defer { engine?.stop() }
        s = try reconnect(s, to: "\(dir)/s.sock")
        let next = try p.reconnected(to: "\(dir)/p.sock")
        try next.negotiate()
        try next.start(reuseRings: true, bases: bases)
        p = next
        #expect(try received(s, count: 2) == [6, 7], "resumed at the base the front-end got, once each")
        p.disconnect(); s.disconnect()
    }
}
