import Yams

/// `evpn:` (docs/evpn-mirror.md): `[{vni, vlan, bridge, vxlan, port}]`, one FRR mirror per VNI.
extension ConfigurationDecoder {
    static let evpnKeys = ["vni", "vlan", "bridge", "vxlan", "port"]
    // One bridge, VXLAN device and veth pair per VNI on the host; a few dozen VLANs span hosts in
    // the deployments this serves, 256 leaves room without letting a typo create thousands.
    static let evpnCountRange = 0...256
    private static let evpnVLANRange = Int(VLANMembership.validIDs.lowerBound)...Int(VLANMembership.validIDs.upperBound)

    mutating func decodeEVPN(_ node: Node, at path: ConfigPath) -> [EVPNMirrorConfiguration] {
        guard let items = list(node, at: path) else { return [] }
        guard Self.evpnCountRange.contains(items.count) else {
            report(.outOfRange, at: node, path, "at most \(Self.evpnCountRange.upperBound) evpn entries, found \(items.count)")
            return []
        }
        var vnis: [UInt32: Node] = [:]
        var vlans: [UInt16: Node] = [:]
        var interfaces: [String: Node] = [:]
        var result: [EVPNMirrorConfiguration] = []
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index: index)
            let errorsBefore = errors.count
            guard let fields = fields(of: item, at: itemPath, allowing: Self.evpnKeys) else { continue }
            var vni: UInt32?
            if let entry = required("vni", in: fields, for: "an evpn entry"),
               let value = integer(entry.value, at: entry.path, in: Self.vniRange, noun: "VNI") {
                // Two mirrors of one VNI would advertise the same MACs twice from one VTEP.
                if let first = vnis[UInt32(value)] {
                    report(.invalidValue, at: entry.value, entry.path,
                           "VNI \(value) has an evpn entry already (line \(first.mark?.line ?? 0))")
                } else {
                    vnis[UInt32(value)] = entry.value
                    vni = UInt32(value)
                }
            }
            var vlan: UInt16?
            if let entry = required("vlan", in: fields, for: "an evpn entry"),
               let value = integer(entry.value, at: entry.path, in: Self.evpnVLANRange, noun: "VLAN") {
                // A VLAN in two VNIs would be one broadcast domain advertised as two.
                if let first = vlans[UInt16(value)] {
                    report(.invalidValue, at: entry.value, entry.path,
                           "VLAN \(value) is mapped to a VNI already (line \(first.mark?.line ?? 0))")
                } else {
                    vlans[UInt16(value)] = entry.value
                    vlan = UInt16(value)
                }
            }
            var names: [String: String] = [:]
            for key in ["bridge", "vxlan", "port"] {
                guard let entry = required(key, in: fields, for: "an evpn entry"),
                      let text = string(entry.value, at: entry.path) else { continue }
                if let problem = InterfaceName.problem(with: text) {
                    report(.invalidValue, at: entry.value, entry.path, "invalid interface name '\(text)': \(problem)")
                } else if let first = interfaces[text] {
                    report(.duplicateInterface, at: entry.value, entry.path,
                           "interface '\(text)' is named already by an evpn entry (line \(first.mark?.line ?? 0))")
                } else {
                    interfaces[text] = entry.value
                    names[key] = text
                }
            }
            guard errors.count == errorsBefore, let vni, let vlan,
                  let bridge = names["bridge"], let vxlan = names["vxlan"], let port = names["port"] else { continue }
            result.append(EVPNMirrorConfiguration(vni: vni, vlan: vlan, bridge: bridge, vxlan: vxlan, port: port))
        }
        return result
    }
}
