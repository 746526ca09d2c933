#if canImport(Glibc)
import Glibc
#endif
import Yams

/// `socket-access: { owner, group, mode, allowed-uids }` (docs/connections.md).
extension ConfigurationDecoder {
    static let socketAccessKeys = ["owner", "group", "mode", "allowed-uids"]
    /// Keys that describe the socket file, which only a server-mode port creates.
    static let socketFileKeys = ["owner", "group", "mode"]
    // uid_t is 32 bits; (uid_t)-1 means "no change" to chown and is never a real id.
    static let idRange = 0...(Int(UInt32.max) - 1)

    mutating func decodeSocketAccess(_ node: Node, at path: ConfigPath) -> SocketAccessSettings {
        var access = SocketAccessSettings()
        guard let fields = fields(of: node, at: path, allowing: Self.socketAccessKeys) else { return access }
        if let entry = fields["owner"] { access.owner = identity(entry.value, at: entry.path, kind: .user) }
        if let entry = fields["group"] { access.group = identity(entry.value, at: entry.path, kind: .group) }
        if let entry = fields["mode"] { access.mode = socketMode(entry.value, at: entry.path) }
        if let entry = fields["allowed-uids"], let items = list(entry.value, at: entry.path) {
            var uids: [UInt32] = []
            for (index, item) in items.enumerated() {
                if let uid = identity(item, at: entry.path.appending(index: index), kind: .user), !uids.contains(uid) {
                    uids.append(uid)
                }
            }
            if items.isEmpty {
                report(.invalidValue, at: entry.value, entry.path,
                       "allowed-uids is empty, so no front-end could ever connect; leave it out to admit any uid")
            }
            access.allowedUIDs = uids
        }
        return access
    }

    /// A port's own `socket-access`; owner, group and mode do not apply to a client-mode port (the
    /// front-end creates that socket) and nothing applies to an uplink or a tap port.
    mutating func decodePortSocketAccess(_ fields: Fields, kind: PortConfiguration.Kind?) -> SocketAccessSettings {
        guard let entry = fields["socket-access"] else { return SocketAccessSettings() }
        switch kind {
        case .uplink?, .tap?:
            report(.inapplicableKey, at: fields.rawEntry("socket-access")?.key ?? entry.value, entry.path,
                   "'socket-access' applies only to vhost-user ports")
            return SocketAccessSettings()
        default:
            break
        }
        let access = decodeSocketAccess(entry.value, at: entry.path)
        if case .vhostUser(_, .client, _)? = kind, let mapping = entry.value.mapping {
            for (key, _) in mapping {
                guard let name = key.scalar?.string, Self.socketFileKeys.contains(name) else { continue }
                report(.inapplicableKey, at: key, entry.path.appending(name),
                       "'\(name)' applies only to server-mode ports: in client mode the front-end creates the socket (use allowed-uids to check who listens on it)")
            }
        }
        return access
    }

    enum IdentityKind { case user, group }

    /// A user or group name (looked up now) or a numeric id.
    private mutating func identity(_ node: Node, at path: ConfigPath, kind: IdentityKind) -> UInt32? {
        let noun = kind == .user ? "user" : "group"
        if node.tagName == .int {
            return integer(node, at: path, in: Self.idRange, noun: "\(noun) id").map(UInt32.init)
        }
        guard let name = string(node, at: path) else { return nil }
        if let id = Self.lookUp(name, kind: kind) { return id }
        report(.invalidValue, at: node, path, "unknown \(noun) '\(name)' (not in the \(kind == .user ? "passwd" : "group") database)")
        return nil
    }

    private static func lookUp(_ name: String, kind: IdentityKind) -> UInt32? {
        var buffer = [CChar](repeating: 0, count: 16_384)
        switch kind {
        case .user:
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
            return entry.pw_uid
        case .group:
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
            return entry.gr_gid
        }
    }

    /// Octal permission bits as written: `0660`, `"0660"`, `0o660` or `660` all mean rw-rw----.
    /// (YAML 1.2 would read a bare 0660 as decimal 660, which is never what a mode means.)
    private mutating func socketMode(_ node: Node, at path: ConfigPath) -> UInt32? {
        guard case .scalar(let scalar) = node, node.tagName != .bool, node.tagName != .null else {
            report(.wrongType, at: node, path, "expected an octal mode such as 0660, found \(node.typeDescription)")
            return nil
        }
        var digits = Substring(scalar.string)
        if digits.hasPrefix("0o") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ ("0"..."7").contains($0) }),
              let value = UInt32(digits, radix: 8) else {
            report(.invalidValue, at: node, path, "invalid mode '\(scalar.string)': expected octal permission bits such as 0660")
            return nil
        }
        guard value <= 0o777 else {
            report(.outOfRange, at: node, path,
                   "mode \(scalar.string) has setuid/setgid/sticky bits; a socket takes permission bits 0000...0777 only")
            return nil
        }
        guard value & 0o600 == 0o600 else {
            report(.invalidValue, at: node, path,
                   "mode \(scalar.string) denies the socket's owner read/write; use at least 0600")
            return nil
        }
        return value
    }
}
