#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC readings as plain integers: no Date, no allocation, vDSO-fast, so the engine
/// may stamp bursts and age MAC entries with it. Wall-clock jumps (NTP, settimeofday) never
/// move it, which is what timeouts and aging need.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary boot-time origin.
    @inlinable @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(truncatingIfNeeded: ts.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: ts.tv_nsec)
    }

    /// Whole seconds; enough resolution for MAC aging and rate-limited logs.
    @inlinable @inline(__always)
    public static func seconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return UInt64(truncatingIfNeeded: ts.tv_sec)
    }

    /// CLOCK_MONOTONIC_COARSE: the last tick's time (1–4 ms resolution), cheaper still than
    /// nanoseconds() because it never reads the TSC. Good for per-burst timestamps.
    @inlinable @inline(__always)
    public static func coarseNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return UInt64(truncatingIfNeeded: ts.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: ts.tv_nsec)
    }
}
