/// Builds Ethernet frames the way a Linux guest hands GSO / partial-checksum frames to virtio:
/// headers correct for the whole (unsegmented) frame, transport checksum field holding the
/// pseudo-header sum.
struct BuiltFrame {
    var bytes: [UInt8]
    var network: Int
    var transport: Int
    var payload: Int
    var isIPv6: Bool
}

enum OffloadFrames {
    static let destinationMAC: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x02]
    static let sourceMAC: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x01]
    static let ipv4Source: [UInt8] = [10, 0, 0, 1]
    static let ipv4Destination: [UInt8] = [10, 0, 0, 2]
    static let ipv6Source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    static let ipv6Destination: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]

    static func payload(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 8)) }
    }

    static func ethernet(vlan: UInt16?, etherType: UInt16) -> [UInt8] {
        var bytes = destinationMAC + sourceMAC
        if let vlan { bytes += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        return bytes + [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
    }

    /// `ipv6ExtensionHeader`: next-header value of one 8-byte extension header inserted before TCP.
    static func tcp(ipv6: Bool, vlan: UInt16? = nil, payloadLength: Int, sequence: UInt32 = 0xFFFF_F000,
                    flags: UInt8 = 0x18, identification: UInt16 = 0xFFF0, ipv4Options: [UInt8] = [],
                    ipv6ExtensionHeader: UInt8? = nil, tcpOptions: [UInt8] = [],
                    fullChecksum: Bool = false) -> BuiltFrame {
        let tcpHeaderLength = 20 + tcpOptions.count
        let body = payload(payloadLength)
        var frame = ethernet(vlan: vlan, etherType: ipv6 ? 0x86DD : 0x0800)
        let network = frame.count
        var extensionLength = 0
        if ipv6 {
            extensionLength = ipv6ExtensionHeader == nil ? 0 : 8
            let payloadLength = extensionLength + tcpHeaderLength + body.count
            frame += [0x60, 0, 0, 0, UInt8(payloadLength >> 8 & 0xFF), UInt8(payloadLength & 0xFF),
                      ipv6ExtensionHeader ?? 6, 64] + ipv6Source + ipv6Destination
            if ipv6ExtensionHeader != nil { frame += [6, 0, 1, 4, 0, 0, 0, 0] }  // PadN option
        } else {
            let headerLength = 20 + ipv4Options.count
            let total = headerLength + tcpHeaderLength + body.count
            frame += [0x40 | UInt8(headerLength / 4), 0, UInt8(total >> 8 & 0xFF), UInt8(total & 0xFF),
                      UInt8(identification >> 8), UInt8(identification & 0xFF), 0x40, 0, 64, 6, 0, 0]
                + ipv4Source + ipv4Destination + ipv4Options
            let checksum = ReferenceChecksum.checksum(Array(frame[network...]))
            frame.setBE16(checksum, at: network + 10)
        }
        let transport = frame.count
        frame += [0x9C, 0x40, 0x1F, 0x90]
            + [UInt8(sequence >> 24), UInt8(sequence >> 16 & 0xFF), UInt8(sequence >> 8 & 0xFF), UInt8(sequence & 0xFF)]
            + [0x11, 0x22, 0x33, 0x44, UInt8(tcpHeaderLength / 4) << 4, flags, 0xFA, 0xF0, 0, 0, 0, 0]
            + tcpOptions + body
        let length = frame.count - transport
        let pseudo = ReferenceChecksum.sum(ReferenceChecksum.pseudoHeader(
            frame: frame, network: network, isIPv6: ipv6, protocol: 6, length: length))
        frame.setBE16(pseudo, at: transport + 16)
        if fullChecksum {
            frame.setBE16(ReferenceChecksum.transportChecksum(frame: frame, network: network, transport: transport,
                                                              checksumField: 16, isIPv6: ipv6, protocol: 6),
                          at: transport + 16)
        }
        return BuiltFrame(bytes: frame, network: network, transport: transport,
                          payload: transport + tcpHeaderLength, isIPv6: ipv6)
    }

    static func udpIPv4(vlan: UInt16? = nil, body: [UInt8], identification: UInt16 = 0x4242) -> BuiltFrame {
        var frame = ethernet(vlan: vlan, etherType: 0x0800)
        let network = frame.count
        let udpLength = 8 + body.count
        let total = 20 + udpLength
        frame += [0x45, 0, UInt8(total >> 8 & 0xFF), UInt8(total & 0xFF),
                  UInt8(identification >> 8), UInt8(identification & 0xFF), 0x40, 0, 64, 17, 0, 0]
            + ipv4Source + ipv4Destination
        frame.setBE16(ReferenceChecksum.checksum(Array(frame[network...])), at: network + 10)
        let transport = frame.count
        frame += [0xC3, 0x50, 0x13, 0x88, UInt8(udpLength >> 8 & 0xFF), UInt8(udpLength & 0xFF), 0, 0] + body
        let pseudo = ReferenceChecksum.sum(ReferenceChecksum.pseudoHeader(
            frame: frame, network: network, isIPv6: false, protocol: 17, length: udpLength))
        frame.setBE16(pseudo, at: transport + 6)
        return BuiltFrame(bytes: frame, network: network, transport: transport, payload: transport + 8, isIPv6: false)
    }

    static func hex(_ text: String) -> [UInt8] {
        let digits = text.filter { $0.isHexDigit }.map { UInt8(String($0), radix: 16) ?? 0 }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
