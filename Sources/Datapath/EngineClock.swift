import LinuxIO

/// Monotonic seconds for FDB ages (immune to wall-clock jumps), counted from the engine's start
/// plus one so that 0 never means "now". The coarse clock is enough and costs a few ns per turn.
struct EngineClock {
    private let start = MonotonicClock.coarseNanoseconds()

    var now: UInt32 { UInt32(truncatingIfNeeded: (MonotonicClock.coarseNanoseconds() &- start) / 1_000_000_000) &+ 1 }
    var secondsSinceStart: UInt64 { (MonotonicClock.coarseNanoseconds() &- start) / 1_000_000_000 }
}
