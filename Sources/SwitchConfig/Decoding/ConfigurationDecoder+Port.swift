import Yams

extension ConfigurationDecoder {
    static let portKeys = ["name", "type", "socket", "mode", "vlan", "mac-limit", "mtu", "queues", "interface", "limits",
                           "socket-access", "static-macs"]
        + securityPortKeys + vxlanKeys
    // The port name appears in control replies, metrics labels and log lines; keep it to a safe
    // alphabet and a length that fits a table column.
    static let portNameAlphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
    static let portNameLength = 1...32
    // 68 is the IPv4 minimum MTU (RFC 791); 65535 the largest virtio-net can advertise (u16).
    static let mtuRange = 68...65535
    // The most queue pairs a vhost-user port lets its front-end use (VIRTIO_NET_F_MQ). Each pair a
    // guest enables is one more TX ring the single forwarding thread polls every turn, so the
    // ceiling stays well below the protocol's 128 (docs/vhost-user-protocol.md#queue-pairs).
    static let queueRange = 1...16
    static let macLimitRange = capacityRange

    private enum PortType: String, CaseIterable {
        case vhostUser = "vhost-user"
        case uplink
        case tap
        case vxlan
    }

    mutating func decodePorts(_ node: Node, at path: ConfigPath, socketDirectory: String) -> [PortDraft] {
        guard let items = list(node, at: path) else { return [] }
        return items.enumerated().map { index, item in
            decodePort(item, at: path.appending(index: index), socketDirectory: socketDirectory)
        }
    }

    private mutating func decodePort(_ node: Node, at path: ConfigPath, socketDirectory: String) -> PortDraft {
        var draft = PortDraft()
        guard let fields = fields(of: node, at: path, allowing: Self.portKeys) else { return draft }
        let errorsBefore = errors.count

        if let entry = required("name", in: fields, for: "a port"), let name = string(entry.value, at: entry.path) {
            if Self.portNameLength.contains(name.count), name.allSatisfy(Self.portNameAlphabet.contains) {
                draft.name = (name, entry.value)
            } else {
                report(.invalidValue, at: entry.value, entry.path,
                       "invalid port name '\(name)': use 1 to 32 characters from A-Z a-z 0-9 _ . -")
            }
        }
        let type: PortType? = required("type", in: fields, for: "a port").flatMap {
            choice($0.value, at: $0.path, noun: "port type")
        }

        var kind: PortConfiguration.Kind?
        switch type {
        case .vhostUser?:
            rejectKeys(["interface"], in: fields, onlyFor: "uplink and tap")
            rejectKeys(Self.vxlanKeys, in: fields, onlyFor: "vxlan")
            kind = decodeVhostUser(fields, socketDirectory: socketDirectory, into: &draft)
        case .uplink?:
            rejectKeys(["socket", "mode", "queues"], in: fields, onlyFor: "vhost-user")
            rejectKeys(Self.vxlanKeys, in: fields, onlyFor: "vxlan")
            // The kernel enforces the interface's own MTU on an AF_PACKET socket; a second, smaller
            // limit in the YAML would only disagree with `ip link`.
            if let entry = fields.rawEntry("mtu") {
                report(.inapplicableKey, at: entry.key, entry.path,
                       "an uplink uses its interface's MTU; set it on the host (ip link set IFNAME mtu N)")
            }
            kind = decodeInterface(fields, for: "an uplink port", into: &draft).map { .uplink(interface: $0) }
        case .tap?:
            rejectKeys(["socket", "mode", "queues"], in: fields, onlyFor: "vhost-user")
            rejectKeys(Self.vxlanKeys, in: fields, onlyFor: "vxlan")
            // `mtu` applies: the switch sets it on a TAP device it creates (docs/tap-ports.md).
            kind = decodeInterface(fields, for: "a tap port", into: &draft).map { .tap(interface: $0) }
        case .vxlan?:
            rejectKeys(["socket", "mode", "queues"], in: fields, onlyFor: "vhost-user")
            rejectKeys(["interface"], in: fields, onlyFor: "uplink and tap")
            // Decoded below, once `mtu` is known: its default comes from `underlay-mtu`.
        case nil:
            break
        }

        let socketAccess = decodePortSocketAccess(fields, kind: kind)
        var vlan = VLANMembership.access(1)
        var vlanDecoded = true
        if let entry = fields["vlan"] {
            if let decoded = decodeVLAN(entry.value, at: entry.path) { vlan = decoded } else { vlanDecoded = false }
        }
        let staticMACs = decodeStaticMACs(fields, vlan: vlanDecoded ? vlan : nil, into: &draft)
        let macLimit = decodeMACLimit(fields, isGuest: type == .vhostUser)
        let security = decodeSecurity(fields)
        var mtu = PortConfiguration.defaultMTU
        if let entry = fields["mtu"], let value = integer(entry.value, at: entry.path, in: Self.mtuRange, noun: "MTU") {
            mtu = value
        }
        if type == .vxlan {
            kind = decodeVxlan(fields, mtu: &mtu)
            if case .trunk = vlan, let entry = fields["vlan"] {
                report(.invalidValue, at: entry.value, entry.path, "a vxlan port carries one VLAN: use vlan: { access: N }")
            }
        }

        if let entry = fields["limits"] { draft.limits = decodeLimitOverrides(entry.value, at: entry.path) }

        if errors.count == errorsBefore, let name = draft.name?.value, let kind {
            draft.configuration = PortConfiguration(name: name, kind: kind, vlan: vlan, macLimit: macLimit, mtu: mtu,
                                                    security: security)
            draft.configuration?.socketAccess = socketAccess
            draft.configuration?.staticMACs = staticMACs
        }
        return draft
    }

    private mutating func decodeVhostUser(_ fields: Fields, socketDirectory: String,
                                          into draft: inout PortDraft) -> PortConfiguration.Kind? {
        var socket: String?
        if let entry = required("socket", in: fields, for: "a vhost-user port") {
            socket = socketPath(entry.value, at: entry.path, directory: socketDirectory)
            if let socket { draft.socket = (socket, entry.value) }
        }
        var mode = VhostUserMode.server
        if let entry = fields["mode"], let value: VhostUserMode = choice(entry.value, at: entry.path, noun: "mode") {
            mode = value
        }
        var queues = PortConfiguration.defaultQueues
        if let entry = fields["queues"],
           let value = integer(entry.value, at: entry.path, in: Self.queueRange, noun: "queue count") {
            queues = value
        }
        return socket.map { .vhostUser(socketPath: $0, mode: mode, queues: queues) }
    }

    /// The `interface` of an uplink or tap port: a valid kernel interface name.
    private mutating func decodeInterface(_ fields: Fields, for owner: String, into draft: inout PortDraft) -> String? {
        guard let entry = required("interface", in: fields, for: owner),
              let name = string(entry.value, at: entry.path) else { return nil }
        if let problem = InterfaceName.problem(with: name) {
            report(.invalidValue, at: entry.value, entry.path, "invalid interface name '\(name)': \(problem)")
            return nil
        }
        draft.interface = (name, entry.value)
        return name
    }

    /// The entry for a key that must be present with a non-null value; reports it otherwise.
    mutating func required(_ key: String, in fields: Fields, for owner: String) -> Entry? {
        if let entry = fields[key] { return entry }
        let path = fields.path.appending(key)
        if let present = fields.rawEntry(key) {
            report(.missingKey, at: present.value, path, "'\(key)' needs a value")
        } else {
            report(.missingKey, at: fields.node, path, "missing required key '\(key)' for \(owner)")
        }
        return nil
    }

    private mutating func rejectKeys(_ keys: [String], in fields: Fields, onlyFor type: String) {
        for key in keys {
            guard let entry = fields.rawEntry(key) else { continue }
            report(.inapplicableKey, at: entry.key, entry.path, "'\(key)' applies only to \(type) ports")
        }
    }
}
