#if canImport(Glibc)
import Glibc
#endif
@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd

/// A front-end that turns its shared eventfds into traps (docs/never-blocking.md) breaks only its
/// own port: the engine thread keeps switching, answering and stopping.
@Suite(.serialized)
struct BlockingPeerTests {
    static let eventIndexBit: UInt64 = 1 << 29

    /// Three ports on one VLAN; the attacker `x` asks for an interrupt on every used buffer (no
    /// EVENT_IDX), so every delivery to it writes its call fd.
    func harness() throws -> (SwitchHarness, attacker: TestFrontEnd) {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("x", .access(vlan: 10))])
        try h.connect("a")
        try h.connect("b")
        var options = TestFrontEnd.Options()
        options.driverFeatures &= ~Self.eventIndexBit
        let x = try h.connect("x", options: options)
        return (h, x)
    }

    /// a → b and b → a both arrive (learning both MACs first).
    func switchesBetweenAAndB(_ h: SwitchHarness, tag: UInt8) throws {
        let ab = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 60 + Int(tag))
        let ba = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 61 + Int(tag))
        try h.frontEnd("a").send(frame: ab)
        #expect(try receives(h, "b", ab))
        try h.frontEnd("b").send(frame: ba)
        #expect(try receives(h, "a", ba))
    }

    /// True when `frame` arrives at `port` within 2 s (other frames are skipped).
    func receives(_ h: SwitchHarness, _ port: String, _ frame: [UInt8], within seconds: Double = 2) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try h.receive(port, expected: 1, timeout: 0.05).contains(frame) { return true }
        }
        return false
    }

    /// Seconds `body` took.
    func timed(_ body: () throws -> Void) rethrows -> Double {
        try timed { () throws -> Int in try body(); return 0 }.1
    }

    func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = MonotonicClock.nanoseconds()
        let value = try body()
        return (value, Double(MonotonicClock.nanoseconds() - start) / 1e9)
    }



    func fault(_ h: SwitchHarness, _ port: String) throws -> PortFault? {
        try h.engine.perform { $0.portFault(named: port) }.get()
    }

    /// The front-end's own copy of a call or kick fd: same open file description as the engine's.
    func makeBlocking(_ fd: EventFD) {
        let flags = fcntl(fd.rawValue, F_GETFL)
        _ = fcntl(fd.rawValue, F_SETFL, flags & ~O_NONBLOCK)
    }

    @Test func callFdMadeBlockingAndFullFailsOnlyItsPort() throws {
        let (h, x) = try harness()
        // Positive control: x receives a broadcast and the others switch.
        try switchesBetweenAAndB(h, tag: 0)
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 70)
        try h.frontEnd("a").send(frame: hello)
        #expect(try receives(h, "x", hello))
        #expect(try fault(h, "x") == nil)

        // The trap: a blocking call fd whose counter cannot take one more.
        let call = x.rings[0].call
        _ = call.drain()
        makeBlocking(call)
        var full: UInt64 = 0xFFFF_FFFF_FFFF_FFFE
        #expect(write(call.rawValue, &full, 8) == 8)

        let flood = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 72)
        // b still gets the flood (the stall is the watchdog's 20-30 ms); the write to x's call fd
        // was interrupted and x failed.
        try h.frontEnd("a").send(frame: flood)
        let stall = try timed { _ = try h.engine.perform(timeoutSeconds: 1) { _ in 0 }.get() }
        #expect(try receives(h, "b", flood))
        #expect(stall < 0.5)
        print("measured: engine answered \(stall) s after the flood hit the trapped call fd")
        let deadline = Date().addingTimeInterval(2)
        while try fault(h, "x") == nil, Date() < deadline { usleep(5_000) }
        #expect(try fault(h, "x") == .notificationBlocked)
        #expect(try h.waitForPortState("x", "broken (notification-blocked)") == "broken (notification-blocked)")

        // The engine still switches, answers and stops.
        try switchesBetweenAAndB(h, tag: 1)
        let answer = try timed { _ = try h.engine.perform(timeoutSeconds: 1) { _ in 0 }.get() }
        #expect(answer < 1)
        expectAccountingAddsUp(h.engine)
        let stop = timed { h.engine.stop() }
        #expect(stop < 1)
    }

    /// Clears O_NONBLOCK on `fe`'s RX call fd and fills its counter.
    func trapCallFd(_ fe: TestFrontEnd) {
        let call = fe.rings[0].call
        _ = call.drain()
        makeBlocking(call)
        var full: UInt64 = 0xFFFF_FFFF_FFFF_FFFE
        #expect(write(call.rawValue, &full, 8) == 8)
    }

    /// Each trap stalls every port for the watchdog's 20-30 ms, so a front-end that reconnects and
    /// traps again waits longer each time: 1 s, then 2 s (docs/never-blocking.md).
    @Test func aFrontEndThatKeepsTrappingItsCallFdWaitsLongerEachTime() throws {
        let (h, first) = try harness()
        try switchesBetweenAAndB(h, tag: 0)
        var options = TestFrontEnd.Options()
        options.driverFeatures &= ~Self.eventIndexBit
        var attacker = first
        for (round, penalty) in [1.0, 2.0].enumerated() {
            trapCallFd(attacker)
            try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 80 + round))
            #expect(try h.waitForPortState("x", "broken (notification-blocked)") == "broken (notification-blocked)",
                    "round \(round): the trapped port was not broken")
            try switchesBetweenAAndB(h, tag: UInt8(10 + round))
            attacker.disconnect()
            attacker = try h.connect("x", options: options)
            let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2), length: 90 + round)
            // Reconnected, but not served before its penalty ends...
            try h.frontEnd("b").send(frame: hello)
            #expect(try h.portState("x") == "broken (notification-blocked)", "round \(round): served during its penalty")
            #expect(try !receives(h, "x", hello, within: 0.3))
            // ...and served after it (positive control).
            #expect(try h.waitForPortState("x", "running", seconds: penalty + 2) == "running")
            try h.frontEnd("b").send(frame: hello)
            #expect(try receives(h, "x", hello))
        }
        expectAccountingAddsUp(h.engine)
        let stop = timed { h.engine.stop() }
        #expect(stop < 1)
    }

    @Test func kickFdDrainedByTheFrontEndNeverBlocksTheEngine() throws {
        let (h, x) = try harness()
        try switchesBetweenAAndB(h, tag: 0)
        let kick = x.rings[1].kick
        makeBlocking(kick)
        // The race, hammered: the front-end kicks and drains its own kick fd as fast as it can
        // while the engine polls it (level-triggered epoll wakes it for each kick).
        let hammering = Atomic(true)
        let attackerDone = DispatchSemaphore(value: 0)
        let attacker = Thread {
            var v: UInt64 = 1
            while hammering.load() {
                _ = write(kick.rawValue, &v, 8)
                _ = read(kick.rawValue, &v, 8)
                v = 1
            }
            attackerDone.signal()
        }
        attacker.start()
        for round in 0..<5 {
            try switchesBetweenAAndB(h, tag: UInt8(2 + round))
            let answer = try timed { _ = try h.engine.perform(timeoutSeconds: 1) { _ in 0 }.get() }
            #expect(answer < 1)
        }
        hammering.store(false)
        // The attacker's own read may sleep on the blocking fd (the engine drained first): kick
        // until it has left, so it cannot take the kick the exact race below writes.
        var waited = 0
        repeat {
            var one: UInt64 = 1
            _ = write(kick.rawValue, &one, 8)
            waited += 1
        } while attackerDone.wait(timeout: .now() + 0.1) == .timedOut && waited < 50
        #expect(waited < 50, "the attacker thread did not stop")

        // Deterministic: epoll reported the kick ready, then the front-end drained it first.
        let xIndex = try #require(try h.engine.perform { $0.portIndex(named: "x") }.get())
        let outcome = try h.engine.perform(timeoutSeconds: 1) { engine -> PortFault? in
            var one: UInt64 = 1
            _ = write(kick.rawValue, &one, 8)
            _ = read(kick.rawValue, &one, 8)
            engine.ports[Int(xIndex)]?.vhost?.handle(event: EventToken(.kick, port: xIndex, detail: 1), ready: .readable,
                                                     engine: engine)
            return engine.portFault(named: "x")
        }.get()
        #expect(outcome == .kickBlocked)
        #expect(try h.waitForPortState("x", "broken (kick-blocked)") == "broken (kick-blocked)")
        try switchesBetweenAAndB(h, tag: 9)
        expectAccountingAddsUp(h.engine)
        let stop = timed { h.engine.stop() }
        #expect(stop < 1)
    }

    @Test func pipeAsCallFdIsRefused() throws {
        let h = try SwitchHarness(ports: [("p", .access(vlan: 10))])
        let fe = try TestFrontEnd(connectingTo: h.socketPath("p"))
        try fe.negotiate()
        // Positive control: an eventfd is accepted.
        let good = try EventFD()
        try fe.request(.setVringCall, FrontEndWire.u64(0), fds: [good.rawValue])
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        #expect(throws: TestFrontEndError.nack(FrontEndRequest.setVringCall.rawValue)) {
            try fe.request(.setVringCall, FrontEndWire.u64(0), fds: [ends[1]])
        }
        #expect(throws: TestFrontEndError.nack(FrontEndRequest.setVringKick.rawValue)) {
            try fe.request(.setVringKick, FrontEndWire.u64(1), fds: [ends[0]])
        }
        fe.disconnect()
        expectAccountingAddsUp(h.engine)
    }
}

/// A minimal atomic flag for the attacker thread.
private final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Bool
    init(_ value: Bool) { self.value = value }
    func load() -> Bool { lock.withLock { value } }
    func store(_ v: Bool) { lock.withLock { value = v } }
}

/// Guest RAM on a file system whose page faults can wait on someone else is refused.
struct GuestMemoryFileSystemTests {
    @Test func memoryTableOnADiskFileIsRefusedAndOnAMemfdAccepted() throws {
        let h = try SwitchHarness(ports: [("m", .access(vlan: 10))])
        let fe = try TestFrontEnd(connectingTo: h.socketPath("m"))
        _ = try fe.negotiate()
        let regions = fe.ram.regions
        // A regular file on a disk file system, as large as the memfd.
        let path = NSTemporaryDirectory() + "noblock-mem-\(UUID().uuidString.prefix(8))"
        let disk = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(disk >= 0)
        defer { close(disk); unlink(path) }
        var st = stat()
        #expect(fstat(fe.ram.file.rawValue, &st) == 0)
        #expect(ftruncate(disk, st.st_size) == 0)
        let type = try fileSystemType(of: disk).get()
        try #require(type != 0x0102_1994, "the temporary directory is on tmpfs here")
        #expect(throws: TestFrontEndError.nack(FrontEndRequest.setMemTable.rawValue)) {
            try fe.request(.setMemTable, FrontEndWire.memoryTable(regions), fds: regions.map { _ in disk }, ack: true)
        }
        // Positive control: the same table on the memfd is taken.
        try fe.request(.setMemTable, FrontEndWire.memoryTable(regions), fds: regions.map { _ in fe.ram.file.rawValue },
                       ack: true)
        fe.disconnect()
        expectAccountingAddsUp(h.engine)
    }
}
