#if canImport(Glibc)
import Glibc
#endif

/// A file descriptor this process owns: closed exactly once, when `close()` is called or the
/// owner goes away. Descriptors received from peers are adopted into one of these at once so
/// that no error path can leak them.
public final class OwnedFileDescriptor {
    public private(set) var rawValue: Int32

    public init(adopting rawValue: Int32) { self.rawValue = rawValue }

    /// Set on descriptors a peer sent us: their close(2) may sleep as long as the peer likes
    /// (SO_LINGER, a FUSE flush), so it happens on `DescriptorCloser`'s thread.
    public var closesOffThread = false

    public var isOpen: Bool { rawValue >= 0 }

    public func close() {
        guard rawValue >= 0 else { return }
        if closesOffThread {
            DescriptorCloser.shared.close(rawValue)
        } else {
            _ = Glibc.close(rawValue)
        }
        rawValue = -1
    }

    /// Gives up ownership without closing (the caller now owns the raw descriptor).
    public func release() -> Int32 {
        let fd = rawValue
        rawValue = -1
        return fd
    }

    public func setNonBlocking(_ on: Bool = true) throws(Errno) {
        let flags = fcntl(rawValue, F_GETFL)
        guard flags >= 0 else { throw Errno.current }
        let new = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        guard fcntl(rawValue, F_SETFL, new) == 0 else { throw Errno.current }
    }

    deinit { close() }
}
