#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import TestSupport
import Testing

/// A peer's descriptor can make close(2) sleep (docs/never-blocking.md); those close elsewhere.
struct DescriptorCloserTests {
    func seconds(_ body: () -> Void) -> Double {
        let start = MonotonicClock.nanoseconds()
        body()
        return Double(MonotonicClock.nanoseconds() - start) / 1e9
    }

    @Test func aPeersLingeringSocketClosesWithoutMakingTheCallerWait() throws {
        // Positive control: the trap is real, a plain close sleeps for the linger time.
        let (trap, trapPeer, trapListener) = try lingeringLoopbackSocket(seconds: 1)
        let plain = seconds { _ = close(trap) }
        #expect(plain > 0.5)
        close(trapPeer)
        close(trapListener)

        let (s, peer, listener) = try lingeringLoopbackSocket(seconds: 1)
        defer { close(peer); close(listener) }
        let received = OwnedFileDescriptor(adopting: s)
        received.closesOffThread = true
        let offThread = seconds { received.close() }
        #expect(offThread < 0.05)
        #expect(!received.isOpen)
        // The closer gets through it in the linger time.
        let deadline = MonotonicClock.nanoseconds() + 3_000_000_000
        while DescriptorCloser.shared.backlog > 0 && MonotonicClock.nanoseconds() < deadline { usleep(10_000) }
        #expect(DescriptorCloser.shared.backlog == 0)
        print("measured: plain close of a lingering socket took \(plain) s; handed to the closer in \(offThread) s")
    }
}
