import SwitchConfig

extension VLANMembership {
    /// Every VLAN id the port carries, ascending (the tests compare normalised ranges by it).
    var vlanIDs: [UInt16] {
        switch self {
        case .access(let id): return [id]
        case .trunk(let allowed, _): return allowed.flatMap { Array($0) }
        }
    }
}
