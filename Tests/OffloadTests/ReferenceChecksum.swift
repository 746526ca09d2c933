/// A deliberately slow, obviously-correct RFC 1071 checksum over byte arrays, word by word in
/// network order, independent of the Offload module's implementation.
enum ReferenceChecksum {
    static func sum(_ bytes: [UInt8]) -> UInt16 {
        var total: UInt32 = 0
        var i = 0
        while i < bytes.count {
            let high = UInt32(bytes[i]) << 8
            let low = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            total += high | low
            while total > 0xFFFF { total = (total & 0xFFFF) + (total >> 16) }
            i += 2
        }
        return UInt16(total)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 { ~sum(bytes) }

    static func pseudoHeader(frame: [UInt8], network: Int, isIPv6: Bool, protocol proto: UInt8,
                             length: Int) -> [UInt8] {
        if isIPv6 {
            return Array(frame[(network + 8)..<(network + 40)])
                + [UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
                + [0, 0, 0, proto]
        }
        return Array(frame[(network + 12)..<(network + 20)])
            + [0, proto, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    /// True if the TCP/UDP checksum of the segment at `transport` (to the end of `frame`) verifies.
    static func transportChecksumIsValid(frame: [UInt8], network: Int, transport: Int, isIPv6: Bool,
                                         protocol proto: UInt8) -> Bool {
        let segment = Array(frame[transport...])
        let pseudo = pseudoHeader(frame: frame, network: network, isIPv6: isIPv6, protocol: proto,
                                  length: segment.count)
        return sum(pseudo + segment) == 0xFFFF
    }

    /// The transport checksum a sender computing it in full would store.
    static func transportChecksum(frame: [UInt8], network: Int, transport: Int, checksumField: Int,
                                  isIPv6: Bool, protocol proto: UInt8) -> UInt16 {
        var segment = Array(frame[transport...])
        segment[checksumField] = 0
        segment[checksumField + 1] = 0
        let pseudo = pseudoHeader(frame: frame, network: network, isIPv6: isIPv6, protocol: proto,
                                  length: segment.count)
        return checksum(pseudo + segment)
    }

    static func ipv4HeaderIsValid(frame: [UInt8], network: Int) -> Bool {
        let length = Int(frame[network] & 0x0F) * 4
        return sum(Array(frame[network..<(network + length)])) == 0xFFFF
    }
}

extension Array where Element == UInt8 {
    func be16(_ offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }
    func be32(_ offset: Int) -> UInt32 { UInt32(be16(offset)) << 16 | UInt32(be16(offset + 2)) }
    mutating func setBE16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(value & 0xFF)
    }
}
