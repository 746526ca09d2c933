#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC in whole seconds for FDB ages (immune to wall-clock jumps), read once per turn.
struct MonotonicClock {
    private let start: UInt64

    init() { start = MonotonicClock.nanoseconds() }

    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Seconds since the engine started, plus one so that 0 never means "now".
    var now: UInt32 { UInt32(truncatingIfNeeded: (MonotonicClock.nanoseconds() &- start) / 1_000_000_000) &+ 1 }
    var secondsSinceStart: UInt64 { (MonotonicClock.nanoseconds() &- start) / 1_000_000_000 }
}
