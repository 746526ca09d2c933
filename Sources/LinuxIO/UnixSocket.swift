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

    /// A connected pair of blocking sockets (for tests and in-process peers).
    public static func pair() throws(Errno) -> (UnixSocket, UnixSocket) {
        try pair(nonBlocking: false)
    }

    /// A connected pair, optionally non-blocking from birth.
    public static func pair(nonBlocking: Bool) throws(Errno) -> (UnixSocket, UnixSocket) {
        var fds: [Int32] = [0, 0]
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw Errno.current }
        return (UnixSocket(adopting: OwnedFileDescriptor(adopting: fds[0])),
                UnixSocket(adopting: OwnedFileDescriptor(adopting: fds[1])))
    }

    /// Sends all of `bytes`, with `fds` attached to the first segment. Partial writes are finished
    /// with plain writes (descriptors ride only on the first bytes, as the vhost-user spec expects).
    public func send(_ bytes: UnsafeRawBufferPointer, fds: [Int32] = []) -> IOResult<Void> {
        send(bytes, fds: fds, stallTimeoutMs: 1000)
    }

    /// As `send(_:fds:)`; a peer that stops reading for `stallTimeoutMs` mid-message is an error
    /// (ETIMEDOUT) rather than a hang. Descriptors with an empty payload are EINVAL.
    public func send(_ bytes: UnsafeRawBufferPointer, fds: [Int32], stallTimeoutMs: Int32) -> IOResult<Void> {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            // A stream socket cannot carry ancillary data without at least one byte of payload:
            // silently dropping the descriptors would desynchronise the peer.
            return fds.isEmpty ? .ok(()) : .error(Errno(EINVAL))
        }
        var sent = fds.withUnsafeBufferPointer { f in
            csy_send_with_fds(rawValue, base, bytes.count, f.baseAddress, Int32(f.count))
        }
        if sent < 0 { return ioFailure() }
        while sent < bytes.count {
            let n = retryingEINTR { Glibc.send(rawValue, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                guard errno == EAGAIN || errno == EWOULDBLOCK else { return ioFailure() }
                switch Poll.wait(rawValue, for: .writable, timeoutMilliseconds: stallTimeoutMs) {
                case .ok: continue
                case .wouldBlock: return .error(Errno(ETIMEDOUT))
                case .closed: return .closed
                case .error(let e): return .error(e)
                }
            }
            sent += n
        }
        return .ok(())
    }

    public func send(_ bytes: [UInt8], fds: [Int32] = []) -> IOResult<Void> {
        bytes.withUnsafeBytes { send($0, fds: fds) }
    }

    /// One recvmsg of up to `buffer.count` bytes, adopting any descriptors that came with it.
    /// More than `maxDescriptors` (or more than 32) descriptors is `.error(EMSGSIZE)`; all of that
    /// message's descriptors are closed then, so a hostile peer cannot make us leak them.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, maxDescriptors: Int = 32)
        -> IOResult<(count: Int, descriptors: [OwnedFileDescriptor])> {
        let limit = max(0, min(maxDescriptors, 32))
        // Room for all a message can carry: what the kernel would drop for lack of room it closes
        // on this thread (docs/never-blocking.md). Every descriptor closes through the closer.
        var raw = [Int32](repeating: -1, count: Int(CSY_SCM_MAX_FD))
        var nfds: Int32 = 0
        var truncated: Int32 = 0
        let n = raw.withUnsafeMutableBufferPointer { r in
            csy_recv_with_all_fds(rawValue, buffer.baseAddress, buffer.count, r.baseAddress, Int32(r.count), &nfds, &truncated)
        }
        if n < 0 { return ioFailure() }
        let owned = raw.prefix(Int(nfds)).map { fd in
            let d = OwnedFileDescriptor(adopting: fd)
            d.closesOffThread = true
            return d
        }
        if truncated != 0 || owned.count > limit {
            owned.forEach { $0.close() }
            return .error(Errno(EMSGSIZE))
        }
        if n == 0 && buffer.count > 0 { return .closed }
        return .ok((n, owned))
    }

    /// Reads exactly `buffer.count` bytes (blocking socket, or polls on EAGAIN up to `timeoutMs`).
    public func readExactly(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int32 = 5000) -> IOResult<Void> {
        guard let base = buffer.baseAddress else { return .ok(()) }
        var got = 0
        while got < buffer.count {
            let n = retryingEINTR { read(rawValue, base + got, buffer.count - got) }
            if n == 0 { return .closed }
            if n < 0 {
                guard errno == EAGAIN || errno == EWOULDBLOCK else { return ioFailure() }
                switch Poll.wait(rawValue, for: .readable, timeoutMilliseconds: timeoutMs) {
                case .ok: continue
                case .wouldBlock: return .error(Errno(ETIMEDOUT))
                case .closed: return .closed
                case .error(let e): return .error(e)
                }
            }
            got += n
        }
        return .ok(())
    }
}
