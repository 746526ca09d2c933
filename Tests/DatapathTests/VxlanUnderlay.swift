import Foundation
import Glibc
import Testing

/// A UDP socket on a loopback address playing a remote VTEP (or a hostile underlay host) for the
/// vxlan port tests: sends raw VXLAN datagrams and collects what the switch sends it.
final class VxlanUnderlay {
    let fd: Int32
    let address: String
    let port: UInt16

    init(address: String, port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        self.address = address
        self.port = port
        var a = Self.socketAddress(address, port)
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, rc == 0 else { throw VxlanUnderlayError("bind \(address):\(port): errno \(errno)") }
    }

    deinit { close(fd) }

    static func socketAddress(_ address: String, _ port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &a.sin_addr)
        return a
    }

    /// A UDP port free on 127.0.0.1 now (bound to port 0 and released).
    static func freePort() throws -> UInt16 {
        let probe = try VxlanUnderlay(address: "127.0.0.1", port: 0)
        var a = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { getsockname(probe.fd, $0, &len) }
        }
        return UInt16(bigEndian: a.sin_port)
    }

    /// The 8-byte VXLAN header (flags word, VNI) and `inner`.
    static func encapsulate(_ inner: [UInt8], vni: UInt32, flags: UInt8 = 0x08) -> [UInt8] {
        [flags, 0, 0, 0, UInt8(vni >> 16 & 0xFF), UInt8(vni >> 8 & 0xFF), UInt8(vni & 0xFF), 0] + inner
    }

    func send(_ datagram: [UInt8], to address: String = "127.0.0.1", port: UInt16) {
        var a = Self.socketAddress(address, port)
        _ = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    struct Datagram {
        let bytes: [UInt8]
        let from: String
        let sourcePort: UInt16
        var vni: UInt32 { UInt32(bytes[4]) << 16 | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) }
        var inner: [UInt8] { Array(bytes[8...]) }
    }

    /// What arrives within `timeout`, waiting until `expected` datagrams came.
    func receive(expected: Int, timeout: Double = 2) -> [Datagram] {
        var out: [Datagram] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var from = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = buffer.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) }
                }
            }
            if n > 0 {
                var text = [CChar](repeating: 0, count: 32)
                inet_ntop(AF_INET, &from.sin_addr, &text, 32)
                out.append(Datagram(bytes: Array(buffer[0..<n]), from: String(cString: text),
                                    sourcePort: UInt16(bigEndian: from.sin_port)))
                if expected > 0 && out.count >= expected { break }
                continue
            }
            usleep(2_000)
        }
        return out
    }
}

struct VxlanUnderlayError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
