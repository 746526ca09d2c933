import TestSupport

/// Hand-built Ethernet frames with known tcpdump renderings.
enum CaptureFrames {
    static let hostA: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a]
    static let hostB: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b]

    /// ARP who-has 10.0.0.2 tell 10.0.0.1, broadcast.
    static var arpRequest: [UInt8] {
        var f: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + hostA + [0x08, 0x06]
        f += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]      // Ethernet/IPv4, request
        f += hostA + [10, 0, 0, 1]
        f += [0, 0, 0, 0, 0, 0] + [10, 0, 0, 2]
        return f
    }

    /// IPv4/UDP 10.0.0.1:40000 -> 10.0.0.2:53 carrying a DNS query "A? example.com." (id 4660).
    static var dnsQuery: [UInt8] {
        var dns: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        dns += [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]
        dns += [0, 1, 0, 1]
        let udpLength = 8 + dns.count
        var udp: [UInt8] = [0x9c, 0x40, 0x00, 0x35, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
        udp += dns
        let totalLength = 20 + udp.count
        var ip: [UInt8] = [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xff), 0, 1, 0x40, 0,
                           64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        let checksum = referenceInternetChecksum(ip)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        return hostB + hostA + [0x08, 0x00] + ip + udp
    }
}
