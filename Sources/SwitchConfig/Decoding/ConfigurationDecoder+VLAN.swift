import Yams

extension ConfigurationDecoder {
    private static let vlanRange = Int(VLANMembership.validIDs.lowerBound)...Int(VLANMembership.validIDs.upperBound)

    /// `vlan: {access: N}` or `vlan: {trunk: {allowed: [...], native: N}}`.
    mutating func decodeVLAN(_ node: Node, at path: ConfigPath) -> VLANMembership? {
        guard let fields = fields(of: node, at: path, allowing: ["access", "trunk"]) else { return nil }
        let access = fields.rawEntry("access"), trunk = fields.rawEntry("trunk")
        switch (access, trunk) {
        case (let access?, let trunk?):
            let later = (access.key.mark?.line ?? 0, access.key.mark?.column ?? 0)
                > (trunk.key.mark?.line ?? 0, trunk.key.mark?.column ?? 0) ? access : trunk
            report(.conflictingKeys, at: later.key, path,
                   "'access' and 'trunk' are mutually exclusive: a port is either an access port or a trunk")
            return nil
        case (let access?, nil):
            return integer(access.value, at: access.path, in: Self.vlanRange, noun: "VLAN").map { .access(UInt16($0)) }
        case (nil, let trunk?):
            return decodeTrunk(trunk.value, at: trunk.path)
        case (nil, nil):
            report(.missingKey, at: node, path, "expected 'access' or 'trunk'")
            return nil
        }
    }

    private mutating func decodeTrunk(_ node: Node, at path: ConfigPath) -> VLANMembership? {
        // `trunk:` with nothing under it is a trunk of every VLAN.
        if node.isNull { return .trunk(allowed: [VLANMembership.validIDs], native: nil) }
        guard let fields = fields(of: node, at: path, allowing: ["allowed", "native"]) else { return nil }
        let errorsBefore = errors.count

        var native: UInt16?
        if let entry = fields["native"] {
            native = integer(entry.value, at: entry.path, in: Self.vlanRange, noun: "VLAN").map(UInt16.init)
        }
        var allowed = [VLANMembership.validIDs]
        if let entry = fields["allowed"], let items = list(entry.value, at: entry.path) {
            allowed = items.enumerated().compactMap { index, item in
                vlanRange(item, at: entry.path.appending(index: index))
            }
            if items.isEmpty, native == nil {
                report(.invalidValue, at: entry.value, entry.path,
                       "a trunk must allow at least one VLAN or have a native VLAN")
            }
        }
        guard errors.count == errorsBefore else { return nil }
        // As in OVS, the native VLAN is implicitly a member of the trunk.
        if let native { allowed.append(native...native) }
        return .trunk(allowed: VLANMembership.normalise(allowed), native: native)
    }

    /// One `allowed` element: `10`, `"10"` or `"100-110"`.
    mutating func vlanRange(_ node: Node, at path: ConfigPath) -> ClosedRange<UInt16>? {
        if node.tagName == .int {
            return integer(node, at: path, in: Self.vlanRange, noun: "VLAN").map { UInt16($0)...UInt16($0) }
        }
        let expected = "expected a VLAN id or a range like \"100-110\", found \(node.typeDescription)"
        guard case .scalar(let scalar) = node, node.tagName == .str else {
            report(.wrongType, at: node, path, expected)
            return nil
        }
        let bounds = scalar.string.split(separator: "-", omittingEmptySubsequences: false)
            .map { Int(String($0.filter { $0 != " " })) }
        guard (1...2).contains(bounds.count), let first = bounds.first ?? nil, let last = bounds.last ?? nil else {
            report(.wrongType, at: node, path, expected)
            return nil
        }
        for bound in [first, last] where !Self.vlanRange.contains(bound) {
            report(.outOfRange, at: node, path, "VLAN \(bound) is out of range \(VLANMembership.validIDs)")
            return nil
        }
        guard first <= last else {
            report(.invalidValue, at: node, path, "VLAN range \(first)-\(last) is reversed; write \(last)-\(first)")
            return nil
        }
        return UInt16(first)...UInt16(last)
    }
}
