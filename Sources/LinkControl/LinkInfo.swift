/// Interface flags (IFF_*) as reported by rtnetlink.
public struct LinkFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let up = LinkFlags(rawValue: 0x1)
    public static let broadcast = LinkFlags(rawValue: 0x2)
    public static let loopback = LinkFlags(rawValue: 0x8)
    /// Operationally up: administratively up and the driver reports a working link.
    public static let running = LinkFlags(rawValue: 0x40)
    public static let promiscuous = LinkFlags(rawValue: 0x100)
    public static let multicast = LinkFlags(rawValue: 0x1000)
    /// The physical layer has carrier (IFF_LOWER_UP).
    public static let lowerUp = LinkFlags(rawValue: 0x10000)
}

/// A snapshot of one network interface.
public struct LinkInfo: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var index: Int32
    public var flags: LinkFlags
    public var mtu: UInt32
    /// Hardware address (6 bytes for Ethernet, empty when the link has none).
    public var mac: [UInt8]
    public var hasCarrier: Bool

    public init(name: String, index: Int32, flags: LinkFlags, mtu: UInt32, mac: [UInt8], hasCarrier: Bool) {
        self.name = name
        self.index = index
        self.flags = flags
        self.mtu = mtu
        self.mac = mac
        self.hasCarrier = hasCarrier
    }

    public var isUp: Bool { flags.contains(.up) }
    public var isRunning: Bool { flags.contains(.running) }
    public var isPromiscuous: Bool { flags.contains(.promiscuous) }

    /// aa:bb:cc:dd:ee:ff
    public var macString: String {
        mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    public var description: String {
        "\(index): \(name) mtu \(mtu) \(macString) up=\(isUp) running=\(isRunning) carrier=\(hasCarrier) promisc=\(isPromiscuous)"
    }
}
