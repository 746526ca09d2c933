import Offload

/// IPv4/TCP frames the way a Linux guest hands them to virtio-net with offloads on: the TCP
/// checksum field holds only the pseudo-header sum (CHECKSUM_PARTIAL), and a GSO frame carries a
/// payload many MSS long.
enum TCPFrames {
    static let ipv4HeaderStart = 14
    static let tcpHeaderStart = 34
    static let headersLength = 54

    static func partial(to dst: [UInt8], from src: [UInt8], payload: [UInt8], seq: UInt32 = 1000) -> [UInt8] {
        var f = dst + src + [0x08, 0x00]
        let totalLength = 20 + 20 + payload.count
        f += [0x45, 0, UInt8(totalLength >> 8 & 0xFF), UInt8(totalLength & 0xFF), 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
              10, 0, 0, 1, 10, 0, 0, 2]
        f += [0x9c, 0x40, 0x14, 0x51] + bytes(seq) + bytes(1) + [0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]
        f += payload
        f.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            Checksum.fillIPv4HeaderChecksum(base + ipv4HeaderStart, headerLength: 20)
            let pseudo = Checksum.pseudoHeaderSumIPv4(ipv4Header: base + ipv4HeaderStart, protocol: Checksum.protocolTCP,
                                                      upperLayerLength: 20 + payload.count)
            raw[tcpHeaderStart + 16] = UInt8(pseudo >> 8)
            raw[tcpHeaderStart + 17] = UInt8(pseudo & 0xFF)
        }
        return f
    }

    /// virtio-net header bytes: NEEDS_CSUM at the TCP checksum, and TCPv4 GSO when `mss` is set.
    static func netHeader(mss: Int?) -> [UInt8] {
        let gso: UInt8 = mss == nil ? 0 : 1
        let hdrLen = mss == nil ? 0 : headersLength
        return [1, gso] + le16(hdrLen) + le16(mss ?? 0) + le16(tcpHeaderStart) + le16(16)
    }

    /// True when the IPv4 header and the TCP checksum (over pseudo-header, header and payload) verify.
    static func checksumsVerify(_ f: [UInt8]) -> Bool {
        guard f.count >= headersLength else { return false }
        return f.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            let ip = base + ipv4HeaderStart
            let tcpLength = f.count - tcpHeaderStart
            let pseudo = Checksum.pseudoHeaderSumIPv4(ipv4Header: ip, protocol: Checksum.protocolTCP, upperLayerLength: tcpLength)
            return Checksum.isValidIPv4Header(ip, headerLength: 20) &&
                Checksum.internetChecksum(base + tcpHeaderStart, count: tcpLength, initial: pseudo) == 0
        }
    }

    static func payload(of f: [UInt8]) -> [UInt8] { Array(f[headersLength...]) }

    private static func bytes(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    private static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
}
