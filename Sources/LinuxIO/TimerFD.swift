#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// A periodic CLOCK_MONOTONIC timer as a readable descriptor, so housekeeping (MAC aging,
/// statistics, reconnect back-off) is one more token in the control loop's Epoll.
public final class TimerFD {
    public let descriptor: OwnedFileDescriptor
    public var rawValue: Int32 { descriptor.rawValue }

    /// Fires every `intervalNanoseconds`, first after one interval. Non-blocking.
    public init(intervalNanoseconds: UInt64) throws(Errno) {
        let fd = csy_timerfd_periodic(intervalNanoseconds)
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
    }

    /// The number of expirations since the last drain (more than 1 when the loop fell behind),
    /// or 0 if none is pending.
    @discardableResult
    public func drain() -> UInt64 {
        var count: UInt64 = 0
        let n = retryingEINTR { read(descriptor.rawValue, &count, 8) }
        return n == 8 ? count : 0
    }
}
