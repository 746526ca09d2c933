#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

/// Results written by the worker thread and read after join() (join orders the accesses).
private final class Observed: @unchecked Sendable {
    var affinity: [Int] = []
    var name = ""
    var cpu = -2
}

@Suite struct ThreadAndClockTests {
    @Test func startsANamedThreadPinnedToOneCPU() throws {
        let allowed = PinnedThread.currentAffinity()
        let target = try #require(allowed.last)
        let seen = Observed()
        let thread = try PinnedThread(name: "sy-worker-pinned-long-name", cpus: [target]) {
            seen.affinity = PinnedThread.currentAffinity()
            seen.name = PinnedThread.currentName()
            seen.cpu = PinnedThread.currentCPU
        }
        thread.join()
        thread.join()
        #expect(seen.affinity == [target])
        #expect(seen.cpu == target)
        #expect(seen.name == "sy-worker-pinne")
    }

    @Test func unpinnedThreadInheritsTheCallersCPUs() throws {
        let seen = Observed()
        let thread = try PinnedThread(name: "sy-free") { seen.affinity = PinnedThread.currentAffinity() }
        thread.join()
        #expect(seen.affinity == PinnedThread.currentAffinity())
    }

    @Test func refusesACPUThatCannotExist() {
        #expect(throws: Errno(EINVAL)) { try PinnedThread(name: "bad", cpus: [100_000]) {} }
        #expect(throws: Errno(EINVAL)) { try PinnedThread(name: "bad", cpus: []) {} }
    }

    @Test func monotonicClockAdvancesWithSleep() {
        let t0 = MonotonicClock.nanoseconds()
        let s0 = MonotonicClock.seconds()
        usleep(20_000)
        let t1 = MonotonicClock.nanoseconds()
        #expect(t1 - t0 >= 20_000_000)
        #expect(t1 - t0 < 5_000_000_000)
        #expect(MonotonicClock.seconds() >= s0)
        let coarse = MonotonicClock.coarseNanoseconds()
        // Coarse lags by a few ticks, but on a loaded two-core machine this thread can be preempted
        // between the two reads for longer than that: 1 s still tells a coarse clock from a stale
        // or wrong one (docs/test-and-benchmark-method.md).
        #expect(coarse <= MonotonicClock.nanoseconds())
        #expect(MonotonicClock.nanoseconds() - coarse < 1_000_000_000)
    }
}
