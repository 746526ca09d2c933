#if canImport(Glibc)
import Glibc
#endif

/// A capture timestamp: wall-clock seconds and microseconds since the epoch (pcap's format).
public struct PcapTimestamp: Sendable, Hashable {
    public var seconds: Int
    public var microseconds: Int

    public init(seconds: Int, microseconds: Int) {
        self.seconds = seconds + microseconds / 1_000_000
        self.microseconds = microseconds % 1_000_000
    }

    /// The current wall-clock time (CLOCK_REALTIME: capture files are read against real dates).
    public static var now: PcapTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return PcapTimestamp(seconds: Int(ts.tv_sec), microseconds: Int(ts.tv_nsec) / 1000)
    }

    var timeval: timeval {
        Glibc.timeval(tv_sec: time_t(seconds), tv_usec: suseconds_t(microseconds))
    }
}
