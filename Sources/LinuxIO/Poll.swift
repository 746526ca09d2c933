#if canImport(Glibc)
import Glibc
#endif

/// poll(2) for the few places that wait on one or two descriptors outside an Epoll loop
/// (finishing a partial message, a blocking handshake, a worker's doorbell with a timeout).
public enum Poll {
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: Int16(POLLIN))
        public static let writable = Events(rawValue: Int16(POLLOUT))
        public static let error = Events(rawValue: Int16(POLLERR))
        public static let hangup = Events(rawValue: Int16(POLLHUP))
        public static let invalid = Events(rawValue: Int16(POLLNVAL))
    }

    /// Waits until `fd` reports any of `events` (or an error/hangup condition, which poll always
    /// reports). `.ok(revents)` when ready, `.wouldBlock` on timeout, `.error(EBADF)` for a
    /// descriptor that is not open. EINTR resumes with the time that is left.
    /// Hangup is returned as readiness, not `.closed`: unread data may still precede the end.
    public static func wait(_ fd: Int32, for events: Events, timeoutMilliseconds: Int32) -> IOResult<Events> {
        var entry = pollfd(fd: fd, events: events.rawValue, revents: 0)
        let n = withUnsafeMutablePointer(to: &entry) {
            wait(UnsafeMutableBufferPointer(start: $0, count: 1), timeoutMilliseconds: timeoutMilliseconds)
        }
        switch n {
        case .ok:
            let ready = Events(rawValue: entry.revents)
            return ready.contains(.invalid) ? .error(Errno(EBADF)) : .ok(ready)
        case .wouldBlock: return .wouldBlock
        case .closed: return .closed
        case .error(let e): return .error(e)
        }
    }

    /// poll(2) over caller-owned entries; `.ok(count of ready entries)`, `.wouldBlock` on timeout.
    /// Negative timeout waits forever.
    public static func wait(_ entries: UnsafeMutableBufferPointer<pollfd>, timeoutMilliseconds: Int32) -> IOResult<Int> {
        let deadline = timeoutMilliseconds < 0
            ? UInt64.max
            : MonotonicClock.nanoseconds() &+ UInt64(timeoutMilliseconds) &* 1_000_000
        var timeout = timeoutMilliseconds
        while true {
            let n = poll(entries.baseAddress, nfds_t(entries.count), timeout)
            if n > 0 { return .ok(Int(n)) }
            if n == 0 { return .wouldBlock }
            guard errno == EINTR else { return .error(.current) }
            if timeoutMilliseconds >= 0 {
                let now = MonotonicClock.nanoseconds()
                if now >= deadline { return .wouldBlock }
                timeout = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            }
        }
    }
}
