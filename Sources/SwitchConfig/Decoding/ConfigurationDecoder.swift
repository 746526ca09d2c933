import Yams

/// Walks a composed YAML tree and builds a `SwitchConfiguration`, collecting every problem with
/// its position instead of stopping at the first.
struct ConfigurationDecoder {
    let file: String
    private(set) var errors: [ConfigurationError] = []
    /// `switch.mac-limit`, the default for vhost-user ports (ConfigurationDecoder+Security.swift).
    var guestMACLimit: Int? = SwitchSettings.defaultGuestMACLimit

    init(file: String) {
        self.file = file
    }

    mutating func report(_ kind: ConfigurationError.Kind, at mark: Mark?, _ path: ConfigPath, _ message: String) {
        errors.append(ConfigurationError(kind: kind, file: file, line: mark?.line ?? 0, column: mark?.column ?? 0,
                                         keyPath: path.description, message: message))
    }

    mutating func report(_ kind: ConfigurationError.Kind, at node: Node, _ path: ConfigPath, _ message: String) {
        report(kind, at: node.mark, path, message)
    }

    /// The whole document; `nil` (an empty file) is an all-defaults switch with no ports.
    mutating func decodeDocument(_ root: Node?) -> SwitchConfiguration? {
        var settings = SwitchSettings()
        var ports: [PortDraft] = []
        var mirrors: [MirrorConfiguration] = []
        var evpn: [EVPNMirrorConfiguration] = []
        if let root, let fields = fields(of: root, at: .root, allowing: ["switch", "ports", "mirrors", "evpn"], extensions: true) {
            if let entry = fields["switch"] { settings = decodeSwitch(entry.value, at: entry.path) }
            guestMACLimit = settings.guestMACLimit
            if let entry = fields["ports"] {
                ports = decodePorts(entry.value, at: entry.path, socketDirectory: settings.socketDirectory)
            }
            applyLimits(settings.limits, to: &ports)
            if let entry = fields["mirrors"] { mirrors = decodeMirrors(entry.value, at: entry.path, ports: ports) }
            if let entry = fields["evpn"] { evpn = decodeEVPN(entry.value, at: entry.path) }
        }
        checkUniqueness(of: ports, controlSocket: settings.controlSocket)
        checkStaticMACs(of: ports, capacity: settings.fdb.capacity)
        guard errors.isEmpty else { return nil }
        return SwitchConfiguration(settings: settings, ports: ports.compactMap(\.configuration).map {
            var port = $0
            if case .vhostUser = port.kind { port.socketAccess = port.socketAccess.overriding(settings.socketAccess) }
            return port
        }, mirrors: mirrors, evpn: evpn)
    }
}
