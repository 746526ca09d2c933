#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// A connected AF_UNIX stream socket that can carry descriptors (SCM_RIGHTS).
public final class UnixSocket {
    public let descriptor: OwnedFileDescriptor
    public var rawValue: Int32 { descriptor.rawValue }

    public init(adopting fd: OwnedFileDescriptor) { descriptor = fd }

    /// Connects to `path`. Non-blocking after connect when `nonBlocking` is set.
    public static func connect(to path: String, nonBlocking: Bool = false) -> Result<UnixSocket, Errno> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.current) }
        let owned = OwnedFileDescriptor(adopting: fd)
        guard var addr = sockaddr_un(path: path) else { return .failure(Errno(ENAMETOOLONG)) }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                retryingEINTR { Glibc.connect(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        guard rc == 0 else { return .failure(.current) }
        if nonBlocking {
            do { try owned.setNonBlocking() } catch { return .failure(error) }
        }
        return .success(UnixSocket(adopting: owned))
    }

    /// A connected pair (for tests and in-process peers).
    public static func pair() throws(Errno) -> (UnixSocket, UnixSocket) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0
        else { throw Errno.current }
        return (UnixSocket(adopting: OwnedFileDescriptor(adopting: fds[0])),
                UnixSocket(adopting: OwnedFileDescriptor(adopting: fds[1])))
    }

    /// Sends all of `bytes`, with `fds` attached to the first segment. Partial writes are finished
    /// with plain writes (descriptors ride only on the first bytes, as the vhost-user spec expects).
    public func send(_ bytes: UnsafeRawBufferPointer, fds: [Int32] = []) -> IOResult<Void> {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .ok(()) }
        var sent = fds.withUnsafeBufferPointer { f in
            csy_send_with_fds(rawValue, base, bytes.count, f.baseAddress, Int32(f.count))
        }
        if sent < 0 { return ioFailure() }
        while sent < bytes.count {
            let n = retryingEINTR { Glibc.send(rawValue, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN { var p = pollfd(fd: rawValue, events: Int16(POLLOUT), revents: 0); _ = poll(&p, 1, 1000); continue }
                return ioFailure()
            }
            sent += n
        }
        return .ok(())
    }

    public func send(_ bytes: [UInt8], fds: [Int32] = []) -> IOResult<Void> {
        bytes.withUnsafeBytes { send($0, fds: fds) }
    }

    /// One recvmsg of up to `buffer.count` bytes, adopting any descriptors that came with it.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, maxDescriptors: Int = 32)
        -> IOResult<(count: Int, descriptors: [OwnedFileDescriptor])> {
        var raw = [Int32](repeating: -1, count: max(maxDescriptors, 1))
        var nfds: Int32 = 0
        let n = raw.withUnsafeMutableBufferPointer { r in
            csy_recv_with_fds(rawValue, buffer.baseAddress, buffer.count, r.baseAddress, Int32(maxDescriptors), &nfds)
        }
        if n < 0 { return ioFailure() }
        let owned = raw.prefix(Int(nfds)).map { OwnedFileDescriptor(adopting: $0) }
        if n == 0 && buffer.count > 0 { return .closed }
        return .ok((n, owned))
    }

    /// Reads exactly `buffer.count` bytes (blocking socket, or polls on EAGAIN up to `timeoutMs`).
    public func readExactly(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int32 = 5000) -> IOResult<Void> {
        var got = 0
        while got < buffer.count {
            let n = retryingEINTR { read(rawValue, buffer.baseAddress! + got, buffer.count - got) }
            if n == 0 { return .closed }
            if n < 0 {
                if errno == EAGAIN {
                    var p = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
                    if poll(&p, 1, timeoutMs) == 0 { return .error(Errno(ETIMEDOUT)) }
                    continue
                }
                return ioFailure()
            }
            got += n
        }
        return .ok(())
    }
}

/// A listening AF_UNIX stream socket bound to a path; the path is removed when it closes.
public final class UnixListener {
    public let descriptor: OwnedFileDescriptor
    public let path: String
    public var rawValue: Int32 { descriptor.rawValue }

    /// Binds `path`, replacing a stale socket file left by a previous run.
    public init(path: String, backlog: Int32 = 16, mode: mode_t = 0o660) throws(Errno) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
        self.path = path
        guard var addr = sockaddr_un(path: path) else { throw Errno(ENAMETOOLONG) }
        var st = stat()
        if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { throw Errno.current }
        chmod(path, mode)
        guard listen(fd, backlog) == 0 else { throw Errno.current }
    }

    /// Accepts one pending connection (non-blocking listener: `.wouldBlock` when none is waiting).
    public func accept() -> IOResult<UnixSocket> {
        let fd = retryingEINTR { Glibc.accept(rawValue, nil, nil) }
        guard fd >= 0 else { return ioFailure() }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return .ok(UnixSocket(adopting: OwnedFileDescriptor(adopting: fd)))
    }

    /// Closes the socket and removes its path.
    public func close() {
        guard descriptor.isOpen else { return }
        descriptor.close()
        unlink(path)
    }

    deinit { close() }
}

extension sockaddr_un {
    init?(path: String) {
        self.init()
        sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &sun_path) { dst in
            dst.copyBytes(from: bytes)
            dst[bytes.count] = 0
        }
    }
}
