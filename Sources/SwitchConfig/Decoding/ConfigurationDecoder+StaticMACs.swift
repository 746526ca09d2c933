import Yams

/// `static-macs:` per port (docs/reload.md#static-macs): `[{mac: aa:bb:cc:dd:ee:ff, vlan: N}]`, the
/// VLAN defaulting to the port's access VLAN or trunk native VLAN.
extension ConfigurationDecoder {
    static let staticMACKeys = ["mac", "vlan"]
    // Static entries share the FDB with learned ones (and are checked against its capacity across
    // all ports); 4096 per port is a whole VLAN range's worth of gateways and more than any
    // deployment pins by hand.
    static let staticMACCountRange = 0...4096
    private static let staticVLANRange = Int(VLANMembership.validIDs.lowerBound)...Int(VLANMembership.validIDs.upperBound)

    /// The port's entries, each checked against the port's VLAN membership (nil when that did
    /// not decode: its own error says why, and no membership error is piled on). The entries and
    /// their nodes also go into `draft` for the checks across ports (`checkStaticMACs`).
    mutating func decodeStaticMACs(_ fields: Fields, vlan: VLANMembership?, into draft: inout PortDraft) -> [StaticMACSetting] {
        guard let entry = fields["static-macs"], let items = list(entry.value, at: entry.path) else { return [] }
        guard Self.staticMACCountRange.contains(items.count) else {
            report(.outOfRange, at: entry.value, entry.path,
                   "static-macs holds at most \(Self.staticMACCountRange.upperBound) entries, found \(items.count)")
            return []
        }
        var settings: [StaticMACSetting] = []
        for (index, item) in items.enumerated() {
            let itemPath = entry.path.appending(index: index)
            guard let setting = staticMAC(item, at: itemPath, vlan: vlan) else { continue }
            settings.append(setting)
            draft.staticMACs.append((setting, item, itemPath))
        }
        return Array(Set(settings)).sorted()
    }

    private mutating func staticMAC(_ node: Node, at path: ConfigPath, vlan membership: VLANMembership?) -> StaticMACSetting? {
        guard let fields = fields(of: node, at: path, allowing: Self.staticMACKeys) else { return nil }
        var mac: UInt64?
        if let entry = required("mac", in: fields, for: "a static MAC"), let text = string(entry.value, at: entry.path) {
            if let value = Self.parseMAC(text) {
                // The FDB forwards a group address by flooding, never to one port; an all-zero
                // address is no station's (IEEE 802.3 §3.2.3).
                if value & 0x0100_0000_0000 != 0 || value == 0 {
                    report(.invalidValue, at: entry.value, entry.path,
                           "'\(text)' is a multicast or zero address; a static MAC must be a station's unicast address")
                } else {
                    mac = value
                }
            } else {
                report(.invalidValue, at: entry.value, entry.path, "invalid MAC address '\(text)': use aa:bb:cc:dd:ee:ff")
            }
        }
        var vlan: UInt16?
        if let entry = fields["vlan"] {
            if let value = integer(entry.value, at: entry.path, in: Self.staticVLANRange, noun: "VLAN").map(UInt16.init),
               let membership {
                if membership.carries(value) {
                    vlan = value
                } else {
                    report(.invalidValue, at: entry.value, entry.path,
                           "VLAN \(value) is not carried by this port (\(membership.summary)); a static MAC must be in one of its VLANs")
                }
            }
        } else if let membership {
            switch membership {
            case .access(let id): vlan = id
            case .trunk(_, let native?): vlan = native
            case .trunk(_, nil):
                report(.missingKey, at: node, path.appending("vlan"),
                       "this trunk port has no native VLAN: give each static MAC a 'vlan'")
            }
        }
        guard let mac, let vlan else { return nil }
        return StaticMACSetting(mac: mac, vlan: vlan)
    }

    /// Across ports: the same (VLAN, MAC) pinned twice is refused where it appears again, pointing
    /// back at the first; and all static entries together must fit the FDB (`switch.fdb.capacity`),
    /// which they share with learned ones.
    mutating func checkStaticMACs(of ports: [PortDraft], capacity: Int) {
        var first: [StaticMACSetting: (port: String, node: Node)] = [:]
        var total = 0
        for port in ports {
            for (setting, node, path) in port.staticMACs {
                if let earlier = first[setting] {
                    let line = earlier.node.mark.map { "line \($0.line)" } ?? "earlier"
                    report(.duplicateStaticMAC, at: node, path,
                           "static MAC \(Self.formatMAC(setting.mac)) in VLAN \(setting.vlan) is already pinned to port '\(earlier.port)' (\(line))")
                    continue
                }
                first[setting] = (port.name?.value ?? "?", node)
                total += 1
                if total == capacity + 1 {
                    report(.outOfRange, at: node, path,
                           "more static MACs than the FDB holds (switch.fdb.capacity \(capacity))")
                }
            }
        }
    }

    static func formatMAC(_ value: UInt64) -> String {
        (0..<6).map { i in
            let byte = UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64(i)))
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined(separator: ":")
    }
}

extension VLANMembership {
    /// `access 10`, `trunk 10,20-30 native 1`: as `yardctl ports` shows it, for messages.
    var summary: String {
        switch self {
        case .access(let id):
            return "access \(id)"
        case .trunk(let allowed, let native):
            let list = allowed.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return "trunk \(list.isEmpty ? "none" : list.joined(separator: ","))" + (native.map { " native \($0)" } ?? "")
        }
    }
}
