/// How a port takes part in VLANs.
public enum VLANMembership: Equatable, Sendable {
    /// Untagged frames belong to this VLAN (1...4094); tagged frames are dropped.
    case access(UInt16)
    /// Tagged frames of the allowed VLANs pass. `allowed` is normalised: sorted, non-overlapping,
    /// non-adjacent ranges within 1...4094, and it contains `native` when that is set — as in OVS,
    /// the native VLAN is implicitly trunked. Untagged frames belong to `native`; with no native
    /// VLAN they are dropped.
    case trunk(allowed: [ClosedRange<UInt16>], native: UInt16?)

    public static let validIDs: ClosedRange<UInt16> = 1...4094

    /// Whether frames of `vlan` may enter or leave this port.
    public func carries(_ vlan: UInt16) -> Bool {
        switch self {
        case .access(let id): return id == vlan
        case .trunk(let allowed, _): return allowed.contains { $0.contains(vlan) }
        }
    }

    /// Sorts and merges overlapping or adjacent ranges, so equal sets compare equal.
    public static func normalise(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var merged: [ClosedRange<UInt16>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}
