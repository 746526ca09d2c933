import CSwitchyard

/// SIGTERM, SIGINT and SIGHUP as a readable descriptor, so the daemon's control loop handles
/// signals like any other event instead of in an async-signal context.
public final class SignalFD {
    public let descriptor: OwnedFileDescriptor
    public var rawValue: Int32 { descriptor.rawValue }

    public enum Signal: Int32, Sendable { case hangup = 1, interrupt = 2, terminate = 15 }

    /// Blocks the signals in the calling thread: create it before any other thread starts.
    public init() throws(Errno) {
        let fd = csy_signalfd_termination()
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
    }

    /// The next pending signal, or nil when none is pending.
    public func next() -> Signal? {
        let s = csy_signalfd_read(rawValue)
        return s > 0 ? Signal(rawValue: s) : nil
    }
}
