#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

extension UnixSocket {
    /// connect() on a socket that is non-blocking from birth, so neither a front-end with a full
    /// backlog nor a hostile listener that never accepts can stall the calling thread (the engine).
    /// For AF_UNIX the connect completes at once or fails: EAGAIN means "backlog full" (a live
    /// listener; retry later), ECONNREFUSED a socket file nobody listens on. The returned socket
    /// stays non-blocking.
    public static func connectWithoutBlocking(to path: String) -> Result<UnixSocket, Errno> {
        guard var addr = sockaddr_un(path: path) else { return .failure(Errno(ENAMETOOLONG)) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(.current) }
        let owned = OwnedFileDescriptor(adopting: fd)
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                retryingEINTR { Glibc.connect(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        guard rc == 0 else { return .failure(.current) }
        return .success(UnixSocket(adopting: owned))
    }
}
