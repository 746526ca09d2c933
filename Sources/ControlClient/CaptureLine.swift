#if canImport(Glibc)
import Glibc
#endif

/// One line per captured frame for `yardctl capture` without `-w` (docs/capture.md): local time,
/// port, direction, MACs, VLAN tag, EtherType or IP protocol summary, length.
public enum CaptureLine {
    public static func render(port: String, direction: UInt8, seconds: UInt32, microseconds: UInt32,
                              originalLength: UInt32, bytes: [UInt8]) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        let time = "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(pad(Int(microseconds), 6))"
        let way = direction == 1 ? "in " : "out"
        guard bytes.count >= 14 else { return "\(time) \(port) \(way) runt, length \(originalLength)" }
        var line = "\(time) \(port) \(way) \(mac(bytes, 6)) > \(mac(bytes, 0))"
        var offset = 12
        var etherType = word(bytes, offset)
        if etherType == 0x8100 || etherType == 0x88A8, bytes.count >= 18 {
            let tci = word(bytes, 14)
            line += ", vlan \(tci & 0x0FFF)" + (tci >> 13 != 0 ? " p \(tci >> 13)" : "")
            offset = 16
            etherType = word(bytes, offset)
        }
        line += ", " + payload(bytes, etherType: etherType, at: offset + 2)
        return line + ", length \(originalLength)"
    }

    private static func payload(_ b: [UInt8], etherType: UInt16, at start: Int) -> String {
        switch etherType {
        case 0x0800 where b.count >= start + 20:
            let proto = b[start + 9]
            let addresses = "\(ipv4(b, start + 12)) > \(ipv4(b, start + 16))"
            return "IPv4 \(addresses) \(protocolName(proto))"
        case 0x86DD where b.count >= start + 40:
            return "IPv6 \(protocolName(b[start + 6]))"
        case 0x0806:
            return "ARP"
        default:
            return "ethertype 0x" + String(etherType, radix: 16).leftPadded(to: 4)
        }
    }

    private static func protocolName(_ p: UInt8) -> String {
        switch p {
        case 1: return "ICMP"
        case 6: return "TCP"
        case 17: return "UDP"
        case 58: return "ICMPv6"
        default: return "proto \(p)"
        }
    }

    private static func word(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
    private static func mac(_ b: [UInt8], _ at: Int) -> String {
        b[at..<(at + 6)].map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: ":")
    }
    private static func ipv4(_ b: [UInt8], _ at: Int) -> String { b[at..<(at + 4)].map(String.init).joined(separator: ".") }
    private static func two(_ v: Int32) -> String { pad(Int(v), 2) }
    private static func pad(_ v: Int, _ width: Int) -> String { String(v).leftPadded(to: width) }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
