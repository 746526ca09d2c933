#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// Who may be at the other end of a port's vhost-user socket (docs/connections.md).
/// The socket file's permissions keep out whoever cannot open it; `allowedUIDs` is checked with
/// SO_PEERCRED on every connection, both ways: the front-end that connected to our listener, and
/// the process listening on the path we connected to in client mode (root connecting to whatever
/// listens at a path would otherwise hand a guest's memory table to any local user who got there
/// first).
public struct SocketAccessPolicy: Equatable, Sendable {
    /// Applied to the socket file in server mode; unused in client mode (the front-end owns it).
    public var permissions: SocketPermissions
    /// nil: anyone the file permissions let in.
    public var allowedUIDs: [uid_t]?

    public init(permissions: SocketPermissions = .default, allowedUIDs: [uid_t]? = nil) {
        self.permissions = permissions
        self.allowedUIDs = allowedUIDs
    }

    public func admits(_ peer: PeerCredentials) -> Bool {
        guard let allowedUIDs else { return true }
        return allowedUIDs.contains(peer.uid)
    }
}
