#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// Who owns a socket file we create and who may open it (docs/connections.md, "Who may connect").
/// The mode is applied through the umask at bind time, so the file never exists with a wider
/// mode; owner and group are set with lchown afterwards, which never follows a symlink.
public struct SocketPermissions: Equatable, Sendable {
    /// nil keeps the daemon's own uid / gid.
    public var owner: uid_t?
    public var group: gid_t?
    /// Permission bits only (0...0o777).
    public var mode: mode_t

    public static let `default` = SocketPermissions(owner: nil, group: nil, mode: 0o660)

    public init(owner: uid_t? = nil, group: gid_t? = nil, mode: mode_t = 0o660) {
        self.owner = owner
        self.group = group
        self.mode = mode & 0o777
    }
}

/// What SO_PEERCRED reports for a connected UNIX socket: the peer's identity when it called
/// connect() (accepted sockets) or listen() (sockets we connected). The kernel fills it in; the
/// peer cannot forge it.
public struct PeerCredentials: Equatable, Sendable, CustomStringConvertible {
    public var pid: pid_t
    public var uid: uid_t
    public var gid: gid_t

    public init(pid: pid_t, uid: uid_t, gid: gid_t) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "uid \(uid) gid \(gid) pid \(pid)" }
}

extension UnixSocket {
    public func peerCredentials() -> Result<PeerCredentials, Errno> {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard csy_peer_credentials(rawValue, &pid, &uid, &gid) == 0 else { return .failure(.current) }
        return .success(PeerCredentials(pid: pid, uid: uid, gid: gid))
    }
}
