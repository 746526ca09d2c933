#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// epoll with a preallocated event buffer; each registration carries a caller-chosen 64-bit token.
public final class Epoll {
    public let descriptor: OwnedFileDescriptor
    private let events: UnsafeMutablePointer<epoll_event>
    public let capacity: Int

    public struct Events: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: EPOLLIN.rawValue)
        public static let writable = Events(rawValue: EPOLLOUT.rawValue)
        public static let hangup = Events(rawValue: EPOLLHUP.rawValue)
        public static let error = Events(rawValue: EPOLLERR.rawValue)
        public static let peerClosed = Events(rawValue: EPOLLRDHUP.rawValue)
        /// Report only transitions; the owner must then drain until EAGAIN.
        public static let edgeTriggered = Events(rawValue: EPOLLET.rawValue)
    }

    public init(capacity: Int = 64) throws(Errno) {
        guard capacity > 0 else { throw Errno(EINVAL) }
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
        self.capacity = capacity
        events = .allocate(capacity: capacity)
    }

    deinit { events.deallocate() }

    public func add(_ fd: Int32, events: Events = .readable, token: UInt64) throws(Errno) {
        try control(EPOLL_CTL_ADD, fd, events, token)
    }

    public func modify(_ fd: Int32, events: Events, token: UInt64) throws(Errno) {
        try control(EPOLL_CTL_MOD, fd, events, token)
    }

    /// Removing a descriptor that is already closed or not registered is not an error worth raising.
    public func remove(_ fd: Int32) {
        var ev = epoll_event()
        _ = epoll_ctl(descriptor.rawValue, EPOLL_CTL_DEL, fd, &ev)
    }

    private func control(_ op: Int32, _ fd: Int32, _ ev: Events, _ token: UInt64) throws(Errno) {
        var event = epoll_event()
        event.events = ev.rawValue
        event.data.u64 = token
        guard epoll_ctl(descriptor.rawValue, op, fd, &event) == 0 else { throw Errno.current }
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever, 0 = poll) and returns the ready events.
    /// EINTR counts as "nothing ready" so callers re-check their own state.
    public func wait(timeoutMilliseconds: Int32) -> UnsafeBufferPointer<epoll_event> {
        let n = epoll_wait(descriptor.rawValue, events, Int32(capacity), timeoutMilliseconds)
        return UnsafeBufferPointer(start: events, count: n > 0 ? Int(n) : 0)
    }
}

extension epoll_event {
    public var token: UInt64 { data.u64 }
    public var readyEvents: Epoll.Events { Epoll.Events(rawValue: events) }
}
