#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxIO
import Testing

/// The eventfd primitives the engine uses on front-end descriptors (docs/never-blocking.md): a
/// front-end shares their file description and can make a plain read or write sleep forever.
struct NonBlockingEventFDTests {
    static let full: UInt64 = 0xFFFF_FFFF_FFFF_FFFE

    /// An eventfd as a hostile front-end leaves it: blocking, optionally with a full counter.
    func trap(full: Bool) throws -> EventFD {
        let fd = try EventFD(nonBlocking: false)
        if full {
            var v = Self.full
            #expect(write(fd.rawValue, &v, 8) == 8)
        }
        return fd
    }

    /// Runs `body` on a fresh thread with `watchdog` attached to it; returns its result.
    func onGuardedThread<T: Sendable>(_ watchdog: SyscallWatchdog, _ body: @escaping @Sendable () -> T) throws -> T {
        let box = ThreadResult<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result { try watchdog.attach(); return body() }
            watchdog.detach()
            done.signal()
        }
        thread.start()
        #expect(done.wait(timeout: .now() + 5) == .success)
        return try #require(box.result).get()
    }

    func counter(_ fd: EventFD) -> UInt64 {
        var v: UInt64 = 0
        _ = read(fd.rawValue, &v, 8)
        return v
    }

    @Test func signalOnABlockingFullEventFDReturnsBlockedInsteadOfSleeping() throws {
        let watchdog = SyscallWatchdog(tickMicroseconds: 5_000, stuckTicks: 2)
        let trapped = try trap(full: true)
        let normal = try EventFD(nonBlocking: false)
        let (ok, blocked, seconds) = try onGuardedThread(watchdog) { () -> (EventFDOutcome, EventFDOutcome, Double) in
            let ok = normal.signal(guardedBy: watchdog)
            let start = MonotonicClock.nanoseconds()
            let blocked = trapped.signal(guardedBy: watchdog)
            return (ok, blocked, Double(MonotonicClock.nanoseconds() - start) / 1e9)
        }
        // Positive control: an ordinary eventfd takes the signal.
        #expect(ok == .done)
        #expect(counter(normal) == 1)
        #expect(blocked == .blocked)
        #expect(seconds < 0.5)
        #expect(watchdog.interrupts >= 1)
        // The trap is untouched: our 1 was never added.
        var v: UInt64 = 0
        try trapped.descriptor.setNonBlocking()
        #expect(read(trapped.rawValue, &v, 8) == 8 && v == Self.full)
    }

    @Test func signalOnANonBlockingFullEventFDIsWouldBlock() throws {
        let fd = try EventFD()
        var v = Self.full
        #expect(write(fd.rawValue, &v, 8) == 8)
        #expect(fd.signal(guardedBy: nil) == .wouldBlock)
    }

    @Test func drainNeverSleepsAndReportsADescriptorMadeBlocking() throws {
        let watchdog = SyscallWatchdog()
        let empty = try trap(full: false)
        let pending = try trap(full: false)
        var one: UInt64 = 3
        #expect(write(pending.rawValue, &one, 8) == 8)
        let quiet = try EventFD()
        let start = MonotonicClock.nanoseconds()
        // Positive control: a pending count drains even on a blocking descriptor.
        #expect(pending.drainWithoutBlocking(guardedBy: watchdog) == .done)
        #expect(pending.drainWithoutBlocking(guardedBy: watchdog) == .blocked)
        #expect(empty.drainWithoutBlocking(guardedBy: watchdog) == .blocked)
        #expect(quiet.drainWithoutBlocking(guardedBy: watchdog) == .wouldBlock)
        // RWF_NOWAIT: no watchdog thread is attached here, so none of these could have slept.
        #expect(Double(MonotonicClock.nanoseconds() - start) / 1e9 < 0.1)
        #expect(watchdog.interrupts == 0)
    }

    @Test func tellsAnEventFDFromAPipe() throws {
        let fd = try EventFD()
        #expect(EventFD.isEventFD(fd.rawValue) == true)
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        #expect(EventFD.isEventFD(ends[0]) == false)
        #expect(EventFD.isEventFD(ends[1]) == false)
        #expect(EventFD.isEventFD(-1) == nil)
    }
}
