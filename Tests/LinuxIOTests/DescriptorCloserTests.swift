#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

/// A peer's descriptor can make close(2) sleep (docs/never-blocking.md); those close elsewhere.
struct DescriptorCloserTests {
    /// A loopback TCP socket with SO_LINGER 1 s and a send queue its peer never reads: closing
    /// its last reference sleeps for the linger time. Returns (socket, peer, listener).
    func lingeringSocket() throws -> (Int32, Int32, Int32) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &addr) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(listener, sa, len) == 0, listen(listener, 1) == 0,
                      getsockname(listener, sa, &len) == 0 else { throw Errno.current }
            }
        }
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, 4)
        try withUnsafeMutablePointer(to: &addr) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard connect(s, sa, len) == 0 else { throw Errno.current }
            }
        }
        let peer = accept(listener, nil, nil)
        setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, 4)
        var l = linger(l_onoff: 1, l_linger: 1)
        setsockopt(s, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        var chunk = [UInt8](repeating: 7, count: 65536)
        while send(s, &chunk, chunk.count, Int32(MSG_DONTWAIT)) > 0 {}
        return (s, peer, listener)
    }

    func seconds(_ body: () -> Void) -> Double {
        let start = MonotonicClock.nanoseconds()
        body()
        return Double(MonotonicClock.nanoseconds() - start) / 1e9
    }

    @Test func aPeersLingeringSocketClosesWithoutMakingTheCallerWait() throws {
        // Positive control: the trap is real, a plain close sleeps for the linger time.
        let (trap, trapPeer, trapListener) = try lingeringSocket()
        let plain = seconds { _ = close(trap) }
        #expect(plain > 0.5)
        close(trapPeer)
        close(trapListener)

        let (s, peer, listener) = try lingeringSocket()
        defer { close(peer); close(listener) }
        let received = OwnedFileDescriptor(adopting: s)
        received.closesOffThread = true
        let offThread = seconds { received.close() }
        #expect(offThread < 0.05)
        #expect(!received.isOpen)
        // The closer gets through it in the linger time.
        let deadline = MonotonicClock.nanoseconds() + 3_000_000_000
        while DescriptorCloser.shared.backlog > 0 && MonotonicClock.nanoseconds() < deadline { usleep(10_000) }
        #expect(DescriptorCloser.shared.backlog == 0)
        print("noblock: plain close of a lingering socket took \(plain) s; handed to the closer in \(offThread) s")
    }
}
