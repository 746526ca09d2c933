/// `socket-access:` under `switch:` (defaults for every vhost-user port) or under a port (which
/// overrides the defaults key by key). Names are resolved to ids when the file is read, so a
/// missing user or group is a config error with its line, not a start-up surprise.
/// See docs/connections.md.
public struct SocketAccessSettings: Equatable, Sendable {
    /// Owner and group of a server-mode socket file; nil keeps the daemon's own.
    public var owner: UInt32?
    public var group: UInt32?
    /// Permission bits of a server-mode socket file; nil means `defaultMode`.
    public var mode: UInt32?
    /// Peer uids admitted (SO_PEERCRED) in both socket modes; nil admits anyone the file
    /// permissions let in.
    public var allowedUIDs: [UInt32]?

    /// Owner and group read/write: QEMU under libvirt runs as its own user, which gets in through
    /// `group` (or `owner`).
    public static let defaultMode: UInt32 = 0o660

    public init(owner: UInt32? = nil, group: UInt32? = nil, mode: UInt32? = nil, allowedUIDs: [UInt32]? = nil) {
        self.owner = owner
        self.group = group
        self.mode = mode
        self.allowedUIDs = allowedUIDs
    }

    /// These settings, with every key they leave out taken from `defaults`.
    public func overriding(_ defaults: SocketAccessSettings) -> SocketAccessSettings {
        SocketAccessSettings(owner: owner ?? defaults.owner, group: group ?? defaults.group,
                             mode: mode ?? defaults.mode, allowedUIDs: allowedUIDs ?? defaults.allowedUIDs)
    }

    public var isEmpty: Bool { self == SocketAccessSettings() }
}
