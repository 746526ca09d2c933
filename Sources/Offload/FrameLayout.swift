import Virtio

/// Where the headers a segmenter rewrites sit in a contiguous Ethernet frame, found by walking
/// Ethernet (up to two 802.1Q / 802.1ad tags), IPv4 (with options) or IPv6 (with hop-by-hop and
/// destination-options headers), and TCP or UDP.
struct FrameLayout: Equatable {
    var networkOffset: Int
    var isIPv6: Bool
    var transportOffset: Int
    /// End of the TCP or UDP header: everything before it is copied into every segment.
    var payloadOffset: Int

    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86DD
    static let maximumVLANTags = 2
    static let maximumIPv6ExtensionHeaders = 8

    /// Parses `frame` for a GSO type without the ECN bit (TCPV4, TCPV6 or UDP).
    static func parse(_ frame: UnsafeRawBufferPointer, gsoType: UInt8) -> Result<FrameLayout, OffloadDropReason> {
        guard let p = frame.baseAddress else { return .failure(.truncatedHeaders) }
        let count = frame.count
        var offset = 12
        var tags = 0
        var etherType: UInt16 = 0
        while true {
            guard offset + 2 <= count else { return .failure(.truncatedHeaders) }
            etherType = UnsafeRawPointer(p).loadBigEndianUInt16(at: offset)
            guard etherType == 0x8100 || etherType == 0x88A8 else { break }
            tags += 1
            guard tags <= maximumVLANTags else { return .failure(.headersMismatchGSOType) }
            offset += 4
        }
        let network = offset + 2
        let transportProtocol = gsoType == VirtioNetHeader.gsoUDP ? Checksum.protocolUDP : Checksum.protocolTCP

        let transport: Int
        let isIPv6: Bool
        switch (etherType, gsoType) {
        case (etherTypeIPv4, VirtioNetHeader.gsoTCPv4), (etherTypeIPv4, VirtioNetHeader.gsoUDP):
            switch parseIPv4(UnsafeRawPointer(p), count: count, at: network, transportProtocol: transportProtocol) {
            case .success(let t): transport = t
            case .failure(let reason): return .failure(reason)
            }
            isIPv6 = false
        case (etherTypeIPv6, VirtioNetHeader.gsoTCPv6):
            switch parseIPv6(UnsafeRawPointer(p), count: count, at: network, transportProtocol: transportProtocol) {
            case .success(let t): transport = t
            case .failure(let reason): return .failure(reason)
            }
            isIPv6 = true
        case (etherTypeIPv6, VirtioNetHeader.gsoUDP):
            // UFO over IPv6 would need a fragment header whose identification the virtio header
            // does not carry.
            return .failure(.unsupportedOffload)
        default:
            return .failure(.headersMismatchGSOType)
        }

        let payload: Int
        if transportProtocol == Checksum.protocolTCP {
            guard transport + 20 <= count else { return .failure(.truncatedHeaders) }
            let dataOffset = Int(UnsafeRawPointer(p).loadByte(at: transport + 12) >> 4) * 4
            guard dataOffset >= 20, transport + dataOffset <= count else { return .failure(.truncatedHeaders) }
            payload = transport + dataOffset
        } else {
            guard transport + 8 <= count else { return .failure(.truncatedHeaders) }
            payload = transport + 8
        }
        return .success(FrameLayout(networkOffset: network, isIPv6: isIPv6, transportOffset: transport,
                                    payloadOffset: payload))
    }

    /// Returns the transport header's offset.
    private static func parseIPv4(_ p: UnsafeRawPointer, count: Int, at l3: Int,
                                  transportProtocol: UInt8) -> Result<Int, OffloadDropReason> {
        guard l3 + 20 <= count else { return .failure(.truncatedHeaders) }
        let versionAndLength = p.loadByte(at: l3)
        guard versionAndLength >> 4 == 4 else { return .failure(.headersMismatchGSOType) }
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard headerLength >= 20, l3 + headerLength <= count else { return .failure(.truncatedHeaders) }
        guard p.loadByte(at: l3 + 9) == transportProtocol else { return .failure(.headersMismatchGSOType) }
        // MF set or a fragment offset: already a fragment, there is no whole segment to cut.
        guard p.loadBigEndianUInt16(at: l3 + 6) & 0x3FFF == 0 else { return .failure(.fragmentedDatagram) }
        return .success(l3 + headerLength)
    }

    private static func parseIPv6(_ p: UnsafeRawPointer, count: Int, at l3: Int,
                                  transportProtocol: UInt8) -> Result<Int, OffloadDropReason> {
        guard l3 + 40 <= count else { return .failure(.truncatedHeaders) }
        guard p.loadByte(at: l3) >> 4 == 6 else { return .failure(.headersMismatchGSOType) }
        var next = p.loadByte(at: l3 + 6)
        var offset = l3 + 40
        var seen = 0
        while next != transportProtocol {
            switch next {
            // Hop-by-hop options and destination options: copied unchanged into every segment.
            // A routing header (43) would change the pseudo-header's destination (RFC 8200 §8.1).
            case 0, 60:
                seen += 1
                guard seen <= maximumIPv6ExtensionHeaders, offset + 8 <= count else {
                    return .failure(.truncatedHeaders)
                }
                next = p.loadByte(at: offset)
                offset += (Int(p.loadByte(at: offset + 1)) + 1) * 8
                guard offset <= count else { return .failure(.truncatedHeaders) }
            case 44:
                return .failure(.fragmentedDatagram)
            case 6, 17, 58, 59:
                return .failure(.headersMismatchGSOType)
            default:
                return .failure(.ipv6ExtensionHeaderUnsupported)
            }
        }
        return .success(offset)
    }
}
