import Yams

extension ConfigurationDecoder {
    /// Keys only a vxlan port takes.
    static let vxlanKeys = ["vni", "local", "remotes", "port", "underlay-mtu", "learn-remotes"]
    /// A VXLAN network identifier is 24 bits (RFC 7348 §5); 0 is left out as no fabric uses it.
    static let vniRange = 1...16_777_215
    static let udpPortRange = 1...65535
    // 576: the smallest IPv4 datagram every host must take (RFC 791); a jumbo underlay up to 65535.
    static let underlayMTURange = 576...65535
    // VxlanTunnel.maximumRemotes: one frame's copies go out in one sendmmsg batch of 64.
    static let maximumRemotes = 64

    /// `type: vxlan`: its own keys, and an access VLAN (the VNI carries one VLAN). Fills `mtu`'s
    /// default (`underlay-mtu` - 50) into `mtu` when the port sets none, and refuses an `mtu` that
    /// would not fit the underlay once encapsulated.
    mutating func decodeVxlan(_ fields: Fields, mtu: inout Int) -> PortConfiguration.Kind? {
        let errorsBefore = errors.count
        var vni = 0
        if let entry = required("vni", in: fields, for: "a vxlan port"),
           let value = integer(entry.value, at: entry.path, in: Self.vniRange, noun: "VNI") {
            vni = value
        }
        var local = ""
        if let entry = required("local", in: fields, for: "a vxlan port"),
           let value = ipv4Address(entry.value, at: entry.path) {
            local = value
        }
        var remotes: [String] = []
        if let entry = fields["remotes"], let items = list(entry.value, at: entry.path) {
            if items.count > Self.maximumRemotes {
                report(.outOfRange, at: entry.value, entry.path,
                       "\(items.count) remotes; at most \(Self.maximumRemotes) (head-end replication sends every copy in one batch)")
            }
            for (i, item) in items.enumerated() {
                let path = entry.path.appending(index: i)
                guard let address = ipv4Address(item, at: path) else { continue }
                if remotes.contains(address) {
                    report(.invalidValue, at: item, path, "remote \(address) is listed twice")
                } else if address == local {
                    report(.invalidValue, at: item, path, "remote \(address) is this port's own local address")
                } else {
                    remotes.append(address)
                }
            }
        }
        var udpPort = VxlanPortSettings.defaultUDPPort
        if let entry = fields["port"],
           let value = integer(entry.value, at: entry.path, in: Self.udpPortRange, noun: "UDP port") {
            udpPort = value
        }
        var underlayMTU = VxlanPortSettings.defaultUnderlayMTU
        if let entry = fields["underlay-mtu"],
           let value = integer(entry.value, at: entry.path, in: Self.underlayMTURange, noun: "underlay MTU") {
            underlayMTU = value
        }
        var learnRemotes = true
        if let entry = fields["learn-remotes"], let value = boolean(entry.value, at: entry.path) {
            learnRemotes = value
        }
        let largest = underlayMTU - VxlanPortSettings.overhead
        if let entry = fields["mtu"] {
            if mtu > largest {
                report(.outOfRange, at: entry.value, entry.path,
                       "MTU \(mtu) does not fit the underlay: at most underlay-mtu \(underlayMTU) - 50 = \(largest) (frames are never fragmented)")
            }
        } else {
            mtu = largest
        }
        guard errors.count == errorsBefore else { return nil }
        return .vxlan(VxlanPortSettings(vni: vni, local: local, remotes: remotes, udpPort: udpPort,
                                        underlayMTU: underlayMTU, learnRemotes: learnRemotes))
    }

    /// A dotted-quad IPv4 address, as written (four decimal numbers 0-255, no leading zeros).
    private mutating func ipv4Address(_ node: Node, at path: ConfigPath) -> String? {
        guard let text = string(node, at: path) else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let valid = parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && (part.count == 1 || part.first != "0") && Int(part).map { $0 <= 255 } == true
        }
        guard valid else {
            report(.invalidValue, at: node, path, "invalid IPv4 address '\(text)': expected four numbers 0-255, e.g. 10.255.0.1")
            return nil
        }
        return text
    }
}
