#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

extension UnixSocket {
    /// connect() on a non-blocking socket, so a front-end with a full backlog can never stall the
    /// engine: for AF_UNIX, EAGAIN means "backlog full" and is simply a failed attempt to retry.
    static func connectNonBlocking(to path: String) -> Result<UnixSocket, Errno> {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return .failure(Errno(ENAMETOOLONG)) }
        withUnsafeMutableBytes(of: &addr.sun_path) { dst in
            dst.copyBytes(from: bytes)
            dst[bytes.count] = 0
        }
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
