#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import LinuxIO
import Testing

@Suite struct SignalFDTests {
    /// raise() directs the signal at this thread, which SignalFD has just blocked it in, so the
    /// rest of the (multi-threaded) test process never sees it.
    @Test func deliversTerminationSignalsAsReadableEvents() throws {
        let signals = try SignalFD()
        defer { csy_unblock_termination() }
        #expect(signals.next() == nil)
        #expect(Poll.wait(signals.rawValue, for: .readable, timeoutMilliseconds: 0).isWouldBlock)

        raise(SIGHUP)
        #expect(Poll.wait(signals.rawValue, for: .readable, timeoutMilliseconds: 100).value != nil)
        #expect(signals.next() == .hangup)
        raise(SIGTERM)
        raise(SIGINT)
        var seen: Set<Int32> = []
        while let s = signals.next() { seen.insert(s.rawValue) }
        #expect(seen == [SIGTERM, SIGINT])
        #expect(signals.next() == nil)
    }
}
