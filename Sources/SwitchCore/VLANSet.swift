/// A set of 802.1Q VLAN ids as a 4096-bit map (64 words), the shape OVS uses for trunk
/// membership: membership is one shift and one mask. Only 1...4094 can be members; 0 (priority
/// tag) and 4095 (reserved) are silently ignored so a set can never admit them.
public struct VLANSet: Hashable, Sendable {
    public static let validRange: ClosedRange<UInt16> = 1...4094

    @usableFromInline
    internal var words: [UInt64]

    public init() {
        words = [UInt64](repeating: 0, count: 64)
    }

    public init<S: Sequence>(_ vlans: S) where S.Element == UInt16 {
        self.init()
        for vlan in vlans { insert(vlan) }
    }

    public init(ranges: [ClosedRange<UInt16>]) {
        self.init()
        for range in ranges { for vlan in range.clamped(to: VLANSet.validRange) { insert(vlan) } }
    }

    /// Every valid VLAN (1...4094).
    public static var all: VLANSet { VLANSet(ranges: [validRange]) }

    @inlinable
    public func contains(_ vlan: UInt16) -> Bool {
        guard vlan < 4096 else { return false }
        return words[Int(vlan >> 6)] & (1 << UInt64(vlan & 63)) != 0
    }

    /// Returns false when `vlan` is outside 1...4094 and so was not inserted.
    @discardableResult
    public mutating func insert(_ vlan: UInt16) -> Bool {
        guard VLANSet.validRange.contains(vlan) else { return false }
        words[Int(vlan >> 6)] |= 1 << UInt64(vlan & 63)
        return true
    }

    public mutating func remove(_ vlan: UInt16) {
        guard vlan < 4096 else { return }
        words[Int(vlan >> 6)] &= ~(1 << UInt64(vlan & 63))
    }

    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// Members in ascending order (control plane only: allocates).
    public var members: [UInt16] {
        var out: [UInt16] = []
        for (w, word) in words.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { out.append(UInt16(w * 64 + bit)) }
        }
        return out
    }

    public func union(_ other: VLANSet) -> VLANSet {
        var result = self
        for i in 0..<64 { result.words[i] |= other.words[i] }
        return result
    }

    /// Copies the 64 words to `destination` (the engine's flat, per-port membership table).
    internal func copyWords(to destination: UnsafeMutablePointer<UInt64>) {
        for i in 0..<64 { destination[i] = words[i] }
    }
}
