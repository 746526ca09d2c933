#if canImport(Glibc)
import Glibc
#endif
@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import TestSupport
import Testing
import VhostTestFrontEnd

/// Resource attacks (see `HostileFrontEndTests`): replies never read, table and connection churn,
/// descriptors whose close would block, kicks that never stop being readable.
extension HostileFrontEndTests {
    static func mappingCount() -> Int {
        ((try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// A front-end that sends requests and never reads a reply: the back-end never waits for it
    /// (a reply that does not fit is a dropped connection), and the others keep switching.
    @Test func aFrontEndThatNeverReadsItsRepliesLosesOnlyItsConnection() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "requests without reading replies") { x in
            let request = FrontEndWire.message(FrontEndRequest.getFeatures.rawValue)
            var sent = 0
            var closed = false
            let deadline = Date().addingTimeInterval(5)
            while !closed && Date() < deadline {
                do { try x.sendRaw(request); sent += 1 } catch TestFrontEndError.closedByBackEnd { closed = true }
                  catch TestFrontEndError.timeout { usleep(1_000) }
            }
            #expect(closed || x.waitForClose(), "after \(sent) requests")
            print("measured: the back-end dropped a front-end that never read, after \(sent) requests")
        }
        expectAccountingAddsUp(h.engine)
    }

    /// Memory tables and connections in a loop: descriptors, mappings and RSS stay flat.
    @Test func memoryTableAndConnectionChurnLeavesNothingBehind() throws {
        let (h, _) = try harness()
        var options = TestFrontEnd.Options()
        options.memoryName = "redteam-churn"
        var x: TestFrontEnd? = try connectWhenListening(h, "x", options: options)
        try x!.negotiate()
        try x!.start()
        let before = (fds: Self.openDescriptors(), maps: Self.mappingCount(), rss: Self.residentKiB())
        for _ in 0..<300 {
            try x!.request(.setMemTable, FrontEndWire.memoryTable(x!.ram.regions),
                           fds: x!.ram.regions.map { _ in x!.ram.file.rawValue }, ack: true)
        }
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 90)
        try x!.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX], "still forwarding on the last table")
        _ = try h.receive("b", expected: 1)
        // Our own descriptor and mapping of the guest RAM, and the back-end's last table only: one
        // mapping per region (the back-end closes a region's descriptor once it is mapped).
        let descriptors = Self.openIdentities().filter { $0.contains("redteam-churn") }.count
        let maps = ((try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.contains("redteam-churn") }.count
        #expect(descriptors == 1 && maps == 1 + x!.ram.regions.count,
                "after 300 tables: \(descriptors) descriptors and \(maps) mappings of the guest RAM")
        let tables = (fds: Self.openDescriptors(), maps: Self.mappingCount(), rss: Self.residentKiB())
        x!.disconnect()
        x = nil
        _ = try waitForState(h, "x", "listening")
        for i in 0..<100 {
            let fe = try connectWhenListening(h, "x", options: options)
            try fe.negotiate()
            if i % 2 == 0 { try fe.start() }
            fe.disconnect()
        }
        _ = try waitForState(h, "x", "listening")
        let left = Self.waitUntilGone(memory: "redteam-churn", eventfds: [])
        #expect(left.isEmpty, "after 100 connections: \(left)")
        let after = (fds: Self.openDescriptors(), maps: Self.mappingCount(), rss: Self.residentKiB())
        // Process-wide numbers (other suites may run in parallel): reported, not asserted.
        print("measured: memory-table churn: before fds \(before.fds) maps \(before.maps) rss \(before.rss) KiB; after 300 SET_MEM_TABLE "
              + "fds \(tables.fds) maps \(tables.maps) rss \(tables.rss) KiB; after 100 connections (x's RAM released) "
              + "fds \(after.fds) maps \(after.maps) rss \(after.rss) KiB")
        try expectSwitching(h, "after churn")
        expectAccountingAddsUp(h.engine)
    }

    /// A front-end hands over a socket whose close would sleep for an hour: the back-end's
    /// descriptor closer must not be stuck behind it, or every descriptor any front-end sends
    /// afterwards stays open until the daemon runs out of them.
    @Test func aLingeringSocketCannotStallTheClosingOfLaterDescriptors() throws {
        let (h, baseline) = try harness()
        let (trap, peer, listener) = try lingeringLoopbackSocket(seconds: 3600)
        defer {
            // Unstick a closer that is stuck (the test failed): let the data drain.
            var sink = [UInt8](repeating: 0, count: 65536)
            let flags = fcntl(peer, F_GETFL)
            _ = fcntl(peer, F_SETFL, flags | O_NONBLOCK)
            for _ in 0..<200 { if recv(peer, &sink, sink.count, 0) <= 0 { usleep(5_000) } }
            close(peer)
            close(listener)
        }
        try survive(h, baseline: baseline, "a lingering TCP socket") { x in
            // The back-end's copy must be the last one: the descriptor rides on the first half of
            // the header, ours closes, then the message completes and is refused.
            let message = FrontEndWire.message(FrontEndRequest.setLogFd.rawValue,
                                               flags: FrontEndWire.version | FrontEndWire.needReply)
            try x.sendRaw(Array(message[0..<6]), fds: [trap])
            close(trap)
            try x.sendRaw(Array(message[6...]))
            let reply = try x.readReply()
            #expect(reply.u64 != nil && reply.u64 != 0, "SET_LOG_FD refused")
        }
        // Descriptors sent afterwards (by any front-end) still close.
        let later = Probe()
        try survive(h, baseline: baseline, "a descriptor after the lingering socket") { x in
            try expectRefused(x, code: FrontEndRequest.setLogFd.rawValue, fds: [later.send], "a later descriptor")
        }
        #expect(later.sawEOF(within: 2), "a descriptor sent after the lingering socket was closed")
        expectAccountingAddsUp(h.engine)
    }

    /// A kick eventfd in semaphore mode (EFD_SEMAPHORE) stays readable after each read: one write
    /// of a huge count would keep the engine from ever sleeping. Refused at SET_VRING_KICK; the
    /// engine still sleeps when idle.
    @Test func aSemaphoreKickFdIsRefusedAndTheEngineStillSleeps() throws {
        let (h, _) = try harness()
        let x = try connectWhenListening(h, "x")
        try x.negotiate()
        try x.start()
        // eventfd(2) is not in the Glibc module; EFD_SEMAPHORE 1, EFD_NONBLOCK 0o4000, EFD_CLOEXEC 0o2000000.
        typealias EventFDCall = @convention(c) (UInt32, Int32) -> Int32
        let create = unsafeBitCast(try #require(dlsym(nil, "eventfd")), to: EventFDCall.self)
        let semaphore = create(0, 1 | 0o4000 | 0o2000000)
        #expect(semaphore >= 0)
        defer { close(semaphore) }
        try expectRefused(x, code: FrontEndRequest.setVringKick.rawValue, payload: FrontEndWire.u64(1), fds: [semaphore],
                          "a semaphore kick fd")
        var count: UInt64 = 1 << 40
        #expect(write(semaphore, &count, 8) == 8)
        // Idle for half a second: the engine thread sleeps (its own CPU time, not the process's:
        // other suites' engines run in this process meanwhile).
        let engineCPU = try EngineThreadCPU(h.engine)
        usleep(100_000)
        let cpu = try engineCPU.seconds()
        usleep(500_000)
        let busy = try engineCPU.seconds() - cpu
        print("measured: \(busy) s of CPU in 0.5 s idle with a loaded semaphore eventfd offered as a kick")
        #expect(busy < 0.1, "the engine did not sleep: \(busy) s of CPU in 0.5 s")
        // Positive control: an ordinary eventfd is taken as the kick, and the TX ring still works.
        let plain = try EventFD()
        try expectAccepted(x, code: FrontEndRequest.setVringKick.rawValue, payload: FrontEndWire.u64(1), fds: [plain.rawValue],
                           "an ordinary kick fd")
        expectNoCopiesLeft(of: semaphore, "the refused semaphore eventfd")
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 93)
        try x.send(frame: fromX)
        plain.signal()
        #expect(try h.receive("a", expected: 1) == [fromX])
        _ = try h.receive("b", expected: 1)
        try expectSwitching(h, "after the semaphore kick")
        x.disconnect()
        expectAccountingAddsUp(h.engine)
    }

    /// A refused oversize SET_MEM_TABLE leaves an empty table; regions added to it afterwards
    /// must still belong to this port for the SIGBUS guard, so a shrink breaks this port.
    @Test func regionsAddedAfterARefusedTableStillBreakTheirOwnPortWhenShrunk() throws {
        let (h, _) = try harness()
        let x = try connectWhenListening(h, "x")
        try x.negotiate()
        try x.start()
        let huge = try Memfd.create(name: "redteam-huge", size: 2 << 40)
        var region = x.ram.regions[0]
        region.size = 2 << 40
        region.mmapOffset = 0
        try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable([region]),
                          fds: [huge.rawValue], "2 TiB table")
        for r in x.ram.regions {
            try x.request(.addMemReg, FrontEndWire.singleRegion(r), fds: [x.ram.file.rawValue], ack: true)
        }
        // Positive control: the rings came back on the added regions.
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 91)
        try x.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX])
        _ = try h.receive("b", expected: 1)
        try x.shrinkMemory(to: 0)
        try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 64))
        _ = try h.receive("b", expected: 1)
        #expect(try waitForState(h, "x", "broken (guest-memory-fault)") == "broken (guest-memory-fault)")
        try expectSwitching(h, "after the shrink")
        x.disconnect()
        expectAccountingAddsUp(h.engine)
    }
}

extension SwitchHarness {
    /// Frames a front-end that is not one of the harness's own receives within `timeout`.
    func receive(by fe: TestFrontEnd, expected: Int, timeout: Double = 2) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            frames += try fe.receivedFrames()
            if frames.count >= expected { break }
            usleep(2_000)
        }
        return frames
    }
}
