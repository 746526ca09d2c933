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

    public convenience init(path: String, backlog: Int32 = 16, mode: mode_t = 0o660) throws(Errno) {
        try self.init(path: path, backlog: backlog, permissions: SocketPermissions(mode: mode))
    }

    /// Binds `path`, replacing a stale socket file left by a previous run. A socket that still
    /// accepts connections (or has a full backlog) belongs to a live process and is left alone
    /// (EADDRINUSE); anything at the path that is not a socket, a symlink included, is never
    /// removed or followed (bind fails with EADDRINUSE). The probe never blocks.
    ///
    /// The file is created with `permissions.mode` by the umask in force during bind (no window
    /// with a wider mode, no chmod that could follow a symlink swapped in after bind), then given
    /// its owner and group with lchown. See docs/connections.md.
    public init(path: String, backlog: Int32 = 16, permissions: SocketPermissions) throws(Errno) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
        self.path = path
        guard sockaddr_un(path: path) != nil else { throw Errno(ENAMETOOLONG) }
        var st = stat()
        if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK {
            switch UnixSocket.connectWithoutBlocking(to: path) {
            case .failure(let e) where e.code == ECONNREFUSED || e.code == ENOENT:
                unlink(path)   // nobody listens: a previous run's leftover
            default:
                throw Errno(EADDRINUSE)   // accepted, or EAGAIN (backlog full): a live listener
            }
        }
        // Bound under a private name, listening, then renamed into place: a client that sees the
        // file can connect at once (bind and listen are two steps; in between a connect gets
        // ECONNREFUSED). RENAME_NOREPLACE keeps the rule above: nothing that appeared at the path
        // meanwhile is replaced. A path too long for a sibling name is bound directly.
        let staging = Self.stagingPath(for: path)
        let bindPath = staging ?? path
        guard var bindAddress = sockaddr_un(path: bindPath) else { throw Errno(ENAMETOOLONG) }
        let previous = csy_thread_umask(~permissions.mode & 0o777)
        guard previous >= 0 else { throw Errno.current }
        let rc = withUnsafePointer(to: &bindAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let bindErrno = errno
        _ = csy_thread_umask(mode_t(previous))
        guard rc == 0 else { throw Errno(bindErrno) }
        do throws(Errno) {
            if permissions.owner != nil || permissions.group != nil {
                // lchown: never follow a symlink (docs/connections.md).
                guard lchown(bindPath, permissions.owner ?? uid_t.max, permissions.group ?? gid_t.max) == 0 else {
                    throw Errno.current
                }
            }
            guard listen(fd, backlog) == 0 else { throw Errno.current }
            if let staging, csy_rename_noreplace(staging, path) != 0 {
                throw Errno(errno == EEXIST ? EADDRINUSE : errno)
            }
        } catch {
            unlink(bindPath)
            throw error
        }
        ownsPath = true
    }

    /// A sibling of `path` private to this process (`.NAME.PID.N`), or nil if it would not fit a
    /// socket address.
    private static func stagingPath(for path: String) -> String? {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let staging = "\(directory).\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        return staging.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) ? staging : nil
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
