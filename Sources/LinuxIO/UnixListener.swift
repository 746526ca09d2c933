#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// A listening AF_UNIX stream socket bound to a path; the path is removed when it closes.
public final class UnixListener {
    public let descriptor: OwnedFileDescriptor
    public let path: String
    public var rawValue: Int32 { descriptor.rawValue }
    /// Only a path we bound is ours to unlink: a failed init must not delete someone else's file.
    private var ownsPath = false

    /// Binds `path`, replacing a stale socket file left by a previous run. A socket that still
    /// accepts connections belongs to a live process and is left alone (EADDRINUSE); anything at
    /// the path that is not a socket is never removed.
    public init(path: String, backlog: Int32 = 16, mode: mode_t = 0o660) throws(Errno) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
        self.path = path
        guard var addr = sockaddr_un(path: path) else { throw Errno(ENAMETOOLONG) }
        var st = stat()
        if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK {
            if case .success = UnixSocket.connect(to: path) { throw Errno(EADDRINUSE) }
            unlink(path)
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { throw Errno.current }
        ownsPath = true
        guard chmod(path, mode) == 0 else { throw Errno.current }
        guard listen(fd, backlog) == 0 else { throw Errno.current }
    }

    /// Accepts one pending connection (non-blocking listener: `.wouldBlock` when none is waiting).
    /// The accepted socket is blocking and close-on-exec.
    public func accept() -> IOResult<UnixSocket> {
        let fd = retryingEINTR { csy_accept_cloexec(rawValue) }
        guard fd >= 0 else { return ioFailure() }
        return .ok(UnixSocket(adopting: OwnedFileDescriptor(adopting: fd)))
    }

    /// Closes the socket and removes its path.
    public func close() {
        guard descriptor.isOpen else { return }
        descriptor.close()
        if ownsPath { unlink(path) }
        ownsPath = false
    }

    deinit { close() }
}
