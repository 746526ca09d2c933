import TestSupport

/// Hand-built frames for the uplink tests.
enum UplinkFrames {
    static let outside: [UInt8] = [0x02, 0x77, 0x00, 0x00, 0x00, 0x02]
    static let guest: [UInt8] = [0x02, 0x77, 0x00, 0x00, 0x00, 0x01]
    static let broadcast: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]

    /// IPv4/UDP 10.77.0.1 -> 10.77.0.2:9 whose payload is `marker` repeated to `length` bytes of
    /// frame (at least 60).
    static func udp(from source: [UInt8], to destination: [UInt8], marker: UInt8, length: Int = 60) -> [UInt8] {
        let payload = max(length, 42) - 42
        let udpLength = 8 + payload
        let total = 20 + udpLength
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0x40, 0,
                           64, 17, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2]
        let c = referenceInternetChecksum(ip)
        ip[10] = UInt8(c >> 8)
        ip[11] = UInt8(c & 0xff)
        let udp: [UInt8] = [0x9c, 0x40, 0x00, 0x09, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
        return destination + source + [0x08, 0x00] + ip + udp + [UInt8](repeating: marker, count: payload)
    }

    /// `frame` with an 802.1Q tag (TPID 0x8100) inserted after the MACs.
    static func tagged(_ frame: [UInt8], vid: UInt16, pcp: UInt8 = 0) -> [UInt8] {
        let tci = UInt16(pcp) << 13 | vid
        return Array(frame[0..<12]) + [0x81, 0x00, UInt8(tci >> 8), UInt8(tci & 0xff)] + Array(frame[12...])
    }

    /// An IPv4/TCP super-frame 10.77.0.1:40000 -> 10.77.0.2:5001 with `payload` bytes, TCP
    /// checksum field holding the pseudo-header sum as CHECKSUM_PARTIAL wants it.
    static func tcpSuperFrame(from source: [UInt8], to destination: [UInt8], payload: Int) -> [UInt8] {
        let total = 20 + 20 + payload
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0,
                           64, 6, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2]
        let c = referenceInternetChecksum(ip)
        ip[10] = UInt8(c >> 8)
        ip[11] = UInt8(c & 0xff)
        var tcp: [UInt8] = [0x9c, 0x40, 0x13, 0x89, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]
        let pseudo = pseudoHeaderSum(ip: ip, tcpLength: 20 + payload)
        tcp[16] = UInt8(pseudo >> 8)
        tcp[17] = UInt8(pseudo & 0xff)
        let body = (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        return destination + source + [0x08, 0x00] + ip + tcp + body
    }

    /// The one's-complement sum (not inverted) of the IPv4 pseudo-header.
    static func pseudoHeaderSum(ip: [UInt8], tcpLength: Int) -> UInt16 {
        let bytes = Array(ip[12..<20]) + [0, 6, UInt8(tcpLength >> 8), UInt8(tcpLength & 0xff)]
        return ~referenceInternetChecksum(bytes)
    }

    /// True when the TCP checksum of an Ethernet/IPv4/TCP frame verifies.
    static func tcpChecksumIsValid(_ frame: [UInt8]) -> Bool {
        let ip = Array(frame[14..<34])
        let total = Int(ip[2]) << 8 | Int(ip[3])
        let segment = Array(frame[34..<(14 + total)])
        let pseudo = Array(ip[12..<20]) + [0, 6, UInt8(segment.count >> 8), UInt8(segment.count & 0xff)]
        return referenceInternetChecksum(pseudo + segment) == 0
    }
}
