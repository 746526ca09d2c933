#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The directories the daemon creates its sockets in must be its own (docs/connections.md,
/// "Socket directories"): whoever can write to one can unlink a port's socket and bind their own
/// in its place, and QEMU would then hand that process the guest's memory.
extension Daemon {
    /// Creates `path` (mode 0755) if missing, then refuses it unless it is a real directory (not a
    /// symlink) owned by root or by the daemon's uid, and writable by neither group nor others.
    static func prepareSocketDirectory(_ path: String) throws {
        guard !path.isEmpty else { return }
        var st = stat()
        if lstat(path, &st) != 0 {
            guard errno == ENOENT else {
                throw DaemonSetupError("socket directory \(path): \(String(cString: strerror(errno)))")
            }
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o755])
            } catch {
                throw DaemonSetupError("cannot create directory \(path): \(error.localizedDescription)")
            }
            guard lstat(path, &st) == 0 else {
                throw DaemonSetupError("socket directory \(path): \(String(cString: strerror(errno)))")
            }
        }
        if let why = socketDirectoryProblem(st) {
            throw DaemonSetupError("refusing socket directory \(path): \(why)")
        }
    }

    static func socketDirectoryProblem(_ st: stat) -> String? {
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK { return "it is a symbolic link; name the real directory" }
        guard type == S_IFDIR else { return "it is not a directory" }
        let me = geteuid()
        if st.st_uid != 0 && st.st_uid != me {
            return "it is owned by uid \(st.st_uid), not by root or the daemon (uid \(me)); whoever owns it can replace the sockets in it (chown root it)"
        }
        let mode = st.st_mode & 0o7777
        if mode & 0o022 != 0 {
            let who = mode & 0o002 != 0 ? "others" : "its group"
            return "it is writable by \(who) (mode \(String(mode, radix: 8))); anyone who can write to it can replace the sockets in it (chmod go-w it)"
        }
        return nil
    }
}
