#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// A non-blocking TCP listener on one numeric address (the metrics endpoint, docs/metrics.md).
/// Accepted connections are close-on-exec and made non-blocking before anyone reads them, so no
/// client can ever make a read or a write on them sleep.
public final class TCPListener {
    public let descriptor: OwnedFileDescriptor
    /// The port actually bound (the requested one, or the kernel's pick for port 0).
    public let port: UInt16

    /// `host` is a numeric IPv4 address, or an IPv6 one when `ipv6` is set (without brackets).
    public init(host: String, port: UInt16, ipv6: Bool, backlog: Int32 = 64) throws(Errno) {
        let family = ipv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
        var on: Int32 = 1
        // A restarted daemon must get its port back while the old connections sit in TIME_WAIT.
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if ipv6 {
            // `[::]` means IPv6 only; listening on both families is a second address, not a surprise.
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw Errno(EINVAL) }
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Errno(EINVAL) }
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard bound == 0, listen(fd, backlog) == 0 else { throw Errno.current }
        var actual = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let named = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset.
        self.port = named == 0 ? UInt16(bigEndian: actual.sin6_port) : port
    }

    public var rawValue: Int32 { descriptor.rawValue }

    /// One pending connection, or `.wouldBlock` when none is waiting.
    public func accept() -> IOResult<OwnedFileDescriptor> {
        let fd = retryingEINTR { csy_accept_cloexec(rawValue) }
        guard fd >= 0 else { return ioFailure() }
        let socket = OwnedFileDescriptor(adopting: fd)
        do { try socket.setNonBlocking() } catch { return .error(error) }
        return .ok(socket)
    }

    public func close() { descriptor.close() }
}
