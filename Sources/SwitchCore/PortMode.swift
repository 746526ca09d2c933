/// How a port maps frames to VLANs (802.1Q).
public enum PortMode: Hashable, Sendable {
    /// Member of one VLAN. Frames enter and leave untagged; a priority tag (VID 0) on ingress is
    /// accepted as untagged, any other tag is dropped (`vlan-tagged-on-access`).
    case access(vlan: UInt16)
    /// Carries `allowed` tagged. `native`, if set, is carried untagged and counts as allowed.
    case trunk(allowed: VLANSet, native: UInt16?)

    /// Every VLAN this port carries (native included).
    public var memberVLANs: VLANSet {
        switch self {
        case .access(let vlan):
            return VLANSet([vlan])
        case .trunk(let allowed, let native):
            guard let native else { return allowed }
            var set = allowed
            set.insert(native)
            return set
        }
    }

    public func carries(_ vlan: UInt16) -> Bool {
        switch self {
        case .access(let v): return v == vlan && VLANSet.validRange.contains(vlan)
        case .trunk(let allowed, let native): return allowed.contains(vlan) || (native == vlan && VLANSet.validRange.contains(vlan))
        }
    }
}
