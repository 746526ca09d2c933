extension Checksum {
    public static let protocolTCP: UInt8 = 6
    public static let protocolUDP: UInt8 = 17

    /// Sum of the IPv4 pseudo-header (RFC 793 §3.1 / RFC 768): source and destination address
    /// (read from the IPv4 header at `ipv4Header`), zero, protocol, and the TCP/UDP length.
    public static func pseudoHeaderSumIPv4(ipv4Header: UnsafeRawPointer, protocol proto: UInt8,
                                           upperLayerLength: Int) -> UInt16 {
        let addresses = sum(ipv4Header + 12, count: 8)
        return combine(addresses, combine(UInt16(proto), UInt16(truncatingIfNeeded: upperLayerLength)))
    }

    /// Sum of the IPv6 pseudo-header (RFC 8200 §8.1): source and destination address (read from
    /// the fixed IPv6 header at `ipv6Header`), 32-bit upper-layer length, next header.
    public static func pseudoHeaderSumIPv6(ipv6Header: UnsafeRawPointer, protocol proto: UInt8,
                                           upperLayerLength: Int) -> UInt16 {
        let addresses = sum(ipv6Header + 8, count: 32)
        let length = UInt32(truncatingIfNeeded: upperLayerLength)
        let lengthSum = combine(UInt16(truncatingIfNeeded: length >> 16), UInt16(truncatingIfNeeded: length))
        return combine(addresses, combine(lengthSum, UInt16(proto)))
    }

    /// Recomputes the IPv4 header checksum in place (the field is zeroed first, RFC 791).
    public static func fillIPv4HeaderChecksum(_ header: UnsafeMutableRawPointer, headerLength: Int) {
        header.storeBigEndian(UInt16(0), at: 10)
        header.storeBigEndian(internetChecksum(header, count: headerLength), at: 10)
    }

    /// True if an IPv4 header's checksum field is correct: the sum over the whole header,
    /// checksum included, is all ones.
    public static func isValidIPv4Header(_ header: UnsafeRawPointer, headerLength: Int) -> Bool {
        sum(header, count: headerLength) == 0xFFFF
    }
}
