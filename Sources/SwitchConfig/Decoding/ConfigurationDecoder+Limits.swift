import Yams

/// `limits:` (docs/limits.md), switch-wide and per port, with the same keys.
extension ConfigurationDecoder {
    static let limitKeys = ["max-guest-memory", "max-chain-descriptors", "min-mss", "max-segments"]
    // At least one small VM's worth; at most half of x86-64's 128 TiB user address space.
    static let guestMemoryRange: ClosedRange<UInt64> = (1 << 20)...(64 << 40)
    // 1 for drivers that never chain; 1024 bounds the per-queue scratch for translated pieces
    // (64 chains x 1024 pieces x 16 bytes = 1 MiB).
    static let chainDescriptorRange = 1...1024
    // gso_size is 16 bits in the virtio-net header.
    static let minMSSRange = 1...65535
    // A 64 KiB frame at gso_size 1.
    static let maxSegmentsRange = 1...65535

    /// The units a size may carry: binary multiples only, as `free -h` and QEMU's `-m 4G` mean.
    static let sizeUnits: [(suffix: String, shift: UInt64)] = [
        ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10), ("T", 40), ("G", 30), ("M", 20), ("K", 10), ("B", 0),
    ]

    /// The switch-wide `limits:`: every key over the built-in defaults.
    mutating func decodeSwitchLimits(_ node: Node, at path: ConfigPath) -> LimitSettings {
        decodeLimitOverrides(node, at: path).applied(over: LimitSettings())
    }

    mutating func decodeLimitOverrides(_ node: Node, at path: ConfigPath) -> LimitOverrides {
        var limits = LimitOverrides()
        guard let fields = fields(of: node, at: path, allowing: Self.limitKeys) else { return limits }
        if let entry = fields["max-guest-memory"] {
            limits.maxGuestMemory = size(entry.value, at: entry.path, in: Self.guestMemoryRange, noun: "guest memory limit")
        }
        if let entry = fields["max-chain-descriptors"] {
            limits.maxChainDescriptors = integer(entry.value, at: entry.path, in: Self.chainDescriptorRange,
                                                 noun: "descriptors per chain")
        }
        if let entry = fields["min-mss"] {
            limits.minMSS = integer(entry.value, at: entry.path, in: Self.minMSSRange, noun: "minimum MSS")
        }
        if let entry = fields["max-segments"] {
            limits.maxSegments = integer(entry.value, at: entry.path, in: Self.maxSegmentsRange, noun: "segments per frame")
        }
        return limits
    }

    /// Gives every valid port its effective limits: its own keys over the switch-wide ones.
    func applyLimits(_ switchWide: LimitSettings, to ports: inout [PortDraft]) {
        for i in ports.indices {
            let effective = ports[i].limits.applied(over: switchWide)
            ports[i].configuration?.limits = effective
        }
    }

    /// A byte count: an integer, or a number with a unit (`64GiB`, `512 MiB`, `1T`).
    mutating func size(_ node: Node, at path: ConfigPath, in range: ClosedRange<UInt64>, noun: String) -> UInt64? {
        guard case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .str else {
            report(.wrongType, at: node, path, "expected a size such as 64GiB, found \(node.typeDescription)")
            return nil
        }
        let text = scalar.string.trimmingWhitespace
        var digits = Substring(text)
        var shift: UInt64 = 0
        for unit in Self.sizeUnits where text.hasSuffix(unit.suffix) {
            digits = text.dropLast(unit.suffix.count)
            shift = unit.shift
            break
        }
        let number = String(digits).trimmingWhitespace
        guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit) else {
            report(.invalidValue, at: node, path,
                   "invalid size '\(text)': expected a number of bytes or a number with KiB, MiB, GiB or TiB")
            return nil
        }
        let description = "\(range.lowerBound >> 20)MiB...\(range.upperBound >> 40)TiB"
        guard let value = UInt64(number), value <= (UInt64.max >> shift) else {
            report(.outOfRange, at: node, path, "\(noun) \(text) is out of range \(description)")
            return nil
        }
        let bytes = value << shift
        guard range.contains(bytes) else {
            report(.outOfRange, at: node, path, "\(noun) \(text) is out of range \(description)")
            return nil
        }
        return bytes
    }
}

private extension String {
    var trimmingWhitespace: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
