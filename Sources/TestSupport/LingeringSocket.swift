#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// A loopback TCP socket with SO_LINGER of `seconds` and a send queue its peer never reads:
/// closing its last reference sleeps for the linger time (docs/never-blocking.md). Returns
/// (socket, peer, listener); the caller closes all three.
public func lingeringLoopbackSocket(seconds: Int32) throws -> (Int32, Int32, Int32) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
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
    let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var small: Int32 = 4096
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, 4)
    try withUnsafeMutablePointer(to: &addr) { p in
        try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            guard connect(s, sa, len) == 0 else { throw Errno.current }
        }
    }
    let peer = accept(listener, nil, nil)
    setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, 4)
    var l = linger(l_onoff: 1, l_linger: seconds)
    setsockopt(s, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    var chunk = [UInt8](repeating: 7, count: 65536)
    while send(s, &chunk, chunk.count, Int32(MSG_DONTWAIT)) > 0 {}
    return (s, peer, listener)
}
