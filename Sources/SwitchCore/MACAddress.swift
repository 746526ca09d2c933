/// A 48-bit Ethernet address, kept in the low 48 bits of a `UInt64` in wire (big-endian) order,
/// so `aa:bb:cc:dd:ee:ff` is `0xaabb_ccdd_eeff`. One integer compare per lookup on the hot path.
@frozen
public struct MACAddress: Hashable, Sendable, Comparable {
    public let rawValue: UInt64

    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)
    public static let zero = MACAddress(rawValue: 0)

    /// Bits above 47 are ignored so any `UInt64` gives a valid address.
    @inlinable
    public init(rawValue: UInt64) {
        self.rawValue = rawValue & 0xFFFF_FFFF_FFFF
    }

    @inlinable
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        var v = UInt64(b0) << 40 | UInt64(b1) << 32 | UInt64(b2) << 24
        v |= UInt64(b3) << 16 | UInt64(b4) << 8 | UInt64(b5)
        self.rawValue = v
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (also `-` as separator, either case). Returns nil on anything
    /// else: this parses config and CLI input, which is untrusted.
    public init?(_ text: String) {
        var value: UInt64 = 0
        var digits = 0
        var groups = 0
        var separator: UInt8 = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-") {
                guard digits == 2, groups < 5 else { return nil }
                if separator == 0 { separator = byte } else if separator != byte { return nil }
                groups += 1
                digits = 0
                continue
            }
            guard digits < 2, let nibble = MACAddress.hexValue(byte) else { return nil }
            value = value << 4 | UInt64(nibble)
            digits += 1
        }
        guard groups == 5, digits == 2 else { return nil }
        self.rawValue = value
    }

    /// The group bit (I/G, least significant bit of the first octet): broadcast included.
    @inlinable public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }
    @inlinable public var isBroadcast: Bool { rawValue == 0xFFFF_FFFF_FFFF }
    @inlinable public var isUnicast: Bool { !isMulticast }

    /// 01:80:C2:00:00:00 – 01:80:C2:00:00:0F: IEEE 802.1D reserved addresses (STP, LACP, LLDP,
    /// 802.1X…) that a MAC bridge must never forward.
    @inlinable public var isLinkLocal: Bool { rawValue & ~0xF == 0x0180_C200_0000 }

    /// Octet `index` (0 = first on the wire).
    @inlinable
    public subscript(octet index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: rawValue >> UInt64(8 * (5 - index)))
    }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    @usableFromInline
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }
}

extension MACAddress: CustomStringConvertible, LosslessStringConvertible {
    /// Lowercase colon form, `aa:bb:cc:dd:ee:ff`.
    public var description: String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(17)
        for i in 0..<6 {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            let b = self[octet: i]
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
