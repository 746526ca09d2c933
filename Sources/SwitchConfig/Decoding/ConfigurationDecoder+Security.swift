import Yams

/// Port security keys (docs/port-security.md): `mac-limit` (a number or `unlimited`, with the
/// switch-wide default for guest ports), `source-macs`, `isolated` and `storm-control`.
extension ConfigurationDecoder {
    static let securityPortKeys = ["source-macs", "isolated", "storm-control"]
    static let stormControlKeys = ["broadcast", "multicast", "unknown-unicast"]
    // Frames per second; the bucket is a UInt32 in the bridge.
    static let stormRateRange = 1...1_000_000_000
    // OpenStack caps allowed address pairs at 10 by default; 64 leaves room for VRRP/keepalived
    // groups while keeping the per-frame binary search short.
    static let sourceMACCountRange = 1...64

    /// `mac-limit: N | unlimited`. Absent: the switch-wide `mac-limit` for vhost-user ports, none
    /// for uplinks (they face a whole LAN). Returns nil for unlimited.
    mutating func decodeMACLimit(_ fields: Fields, isGuest: Bool) -> Int? {
        guard let entry = fields["mac-limit"] else { return isGuest ? guestMACLimit : nil }
        return macLimitValue(entry.value, at: entry.path)
    }

    /// A MAC limit value: an integer in range or the word `unlimited` (nil).
    mutating func macLimitValue(_ node: Node, at path: ConfigPath) -> Int? {
        if case .scalar(let scalar) = node, node.tagName == .str, scalar.string == "unlimited" { return nil }
        if case .scalar = node, node.tagName == .str {
            report(.invalidValue, at: node, path,
                   "invalid MAC limit '\(node.scalar?.string ?? "")'; expected an integer in \(Self.macLimitRange) or 'unlimited'")
            return nil
        }
        return integer(node, at: path, in: Self.macLimitRange, noun: "MAC limit")
    }

    mutating func decodeSecurity(_ fields: Fields) -> PortSecuritySettings {
        var security = PortSecuritySettings()
        if let entry = fields["source-macs"] { security.sourceMACs = sourceMACs(entry.value, at: entry.path) }
        if let entry = fields["isolated"], let value = boolean(entry.value, at: entry.path) {
            security.isolated = value
        }
        if let entry = fields["storm-control"] {
            security.stormControl = decodeStormControl(entry.value, at: entry.path)
        }
        return security
    }

    private mutating func sourceMACs(_ node: Node, at path: ConfigPath) -> [UInt64]? {
        guard let items = list(node, at: path) else { return nil }
        guard Self.sourceMACCountRange.contains(items.count) else {
            report(.outOfRange, at: node, path,
                   "source-macs needs \(Self.sourceMACCountRange) addresses, found \(items.count)")
            return nil
        }
        var macs = Set<UInt64>()
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index: index)
            guard let text = string(item, at: itemPath) else { continue }
            guard let mac = Self.parseMAC(text) else {
                report(.invalidValue, at: item, itemPath, "invalid MAC address '\(text)': use aa:bb:cc:dd:ee:ff")
                continue
            }
            // A group or all-zero address is never a station's source (IEEE 802.3 §3.2.3).
            guard mac & 0x0100_0000_0000 == 0, mac != 0 else {
                report(.invalidValue, at: item, itemPath,
                       "'\(text)' is a multicast or zero address; a port never sends from it")
                continue
            }
            macs.insert(mac)
        }
        return macs.sorted()
    }

    private mutating func decodeStormControl(_ node: Node, at path: ConfigPath) -> StormControlSettings {
        var storm = StormControlSettings()
        guard let fields = fields(of: node, at: path, allowing: Self.stormControlKeys) else { return storm }
        func rate(_ key: String, _ decoder: inout ConfigurationDecoder) -> Int? {
            guard let entry = fields[key] else { return nil }
            return decoder.integer(entry.value, at: entry.path, in: Self.stormRateRange, noun: "\(key) rate")
        }
        storm.broadcast = rate("broadcast", &self)
        storm.multicast = rate("multicast", &self)
        storm.unknownUnicast = rate("unknown-unicast", &self)
        return storm
    }

    /// `true`/`false` only: YAML 1.1's `yes`/`on` are refused like everywhere else in this file.
    mutating func boolean(_ node: Node, at path: ConfigPath) -> Bool? {
        guard case .scalar(let scalar) = node, node.tagName == .bool,
              scalar.string == "true" || scalar.string == "false" else {
            report(.wrongType, at: node, path, "expected true or false, found \(node.typeDescription)")
            return nil
        }
        return scalar.string == "true"
    }

    /// `aa:bb:cc:dd:ee:ff` (or `-` separators), either case.
    static func parseMAC(_ text: String) -> UInt64? {
        let groups = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false)
        guard groups.count == 6 else { return nil }
        var value: UInt64 = 0
        for group in groups {
            guard group.count == 2, let byte = UInt8(group, radix: 16) else { return nil }
            value = value << 8 | UInt64(byte)
        }
        return value
    }
}
