#if canImport(Glibc)
import Glibc
#endif
import Testing
import Uplink

/// Datagrams the kernel drops for a full receive buffer never reach the vxlan port's checks, so
/// they are read from the socket (SO_MEMINFO) and counted `vxlan-socket-overflow`
/// (docs/vxlan-ports.md, "Socket buffers").
@Suite struct VxlanSocketOverflowTests {
    private func address(_ text: String) -> UInt32 {
        var a = in_addr()
        inet_pton(AF_INET, text, &a)
        return a.s_addr
    }

    /// `count` 64-byte datagrams from 127.0.0.2 to 127.0.0.1:`port`, none of them read.
    private func flood(port: UInt16, count: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var from = sockaddr_in()
        from.sin_family = sa_family_t(AF_INET)
        from.sin_addr.s_addr = address("127.0.0.2")
        _ = withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_addr.s_addr = address("127.0.0.1")
        to.sin_port = port.bigEndian
        let payload = [UInt8](repeating: 0, count: 64)
        for _ in 0..<count {
            _ = payload.withUnsafeBytes { p in
                withUnsafePointer(to: &to) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, p.baseAddress, p.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
    }

    @Test func datagramsDroppedForAFullReceiveBufferAreCounted() throws {
        guard getuid() == 0 else { Issue.record("the vxlan port's raw socket needs root"); return }
        let port = UInt16.random(in: 40_000...50_000)
        let tunnel = try VxlanTunnel(vni: 100, local: address("127.0.0.1"), port: port, remotes: [], underlayMTU: 1500,
                                     innerMTU: 1450, learnRemotes: true)
        defer { tunnel.close() }
        // Positive control: a few datagrams fit, nothing is dropped.
        try flood(port: port, count: 100)
        tunnel.readSocketOverflow()
        #expect(tunnel.counters.socketOverflow == 0, "100 datagrams fit the buffer")
        // Far more than a 4 MiB buffer holds (each small datagram costs about 1 KiB of it).
        try flood(port: port, count: 30_000)
        tunnel.readSocketOverflow()
        print("measured: \(tunnel.counters.socketOverflow) of 30100 datagrams dropped by the kernel, unread")
        #expect(tunnel.counters.socketOverflow > 1_000, "the kernel's drops are read back")
        #expect(tunnel.counters.socketOverflow < 30_000, "the 4 MiB buffer held thousands first")
    }
}
