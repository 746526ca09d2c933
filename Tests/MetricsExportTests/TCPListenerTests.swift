#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

/// The metrics endpoint's listener (Sources/LinuxIO/TCPListener.swift): IPv4 and IPv6 loopback,
/// never blocking, connections handed out non-blocking and close-on-exec.
@Suite struct TCPListenerTests {
    func connect(_ listener: TCPListener, ipv6: Bool) -> Int32 {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let r: Int32
        if ipv6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = listener.port.bigEndian
            _ = inet_pton(AF_INET6, "::1", &a.sin6_addr)
            r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = listener.port.bigEndian
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        #expect(r == 0, "connect: \(String(cString: strerror(errno)))")
        return fd
    }

    @Test(arguments: [false, true])
    func acceptsWithoutWaitingAndHandsOutNonBlockingSockets(ipv6: Bool) throws {
        let listener = try TCPListener(host: ipv6 ? "::1" : "127.0.0.1", port: 0, ipv6: ipv6)
        defer { listener.close() }
        #expect(listener.port != 0)
        // Nobody connecting: an answer at once, not a wait.
        guard case .wouldBlock = listener.accept() else { Issue.record("accept without a client did not say wouldBlock"); return }
        // Positive control: a client is accepted, and its socket cannot block a read.
        let client = connect(listener, ipv6: ipv6)
        defer { close(client) }
        guard case .ok(let accepted) = listener.accept() else { Issue.record("the client was not accepted"); return }
        #expect(fcntl(accepted.rawValue, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(accepted.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        var byte: UInt8 = 0
        #expect(read(accepted.rawValue, &byte, 1) == -1 && errno == EAGAIN)
    }

    @Test func aPortInUseIsRefusedWithItsErrno() throws {
        let first = try TCPListener(host: "127.0.0.1", port: 0, ipv6: false)
        defer { first.close() }
        #expect(throws: Errno(EADDRINUSE)) { _ = try TCPListener(host: "127.0.0.1", port: first.port, ipv6: false) }
        #expect(throws: Errno(EINVAL)) { _ = try TCPListener(host: "localhost", port: 0, ipv6: false) }
    }
}
