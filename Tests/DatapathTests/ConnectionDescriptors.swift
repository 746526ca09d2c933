#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// The engine's end of one vhost-user connection, found by the socket pair rather than by
/// counting this process's descriptors: suites running in parallel open and close descriptors of
/// their own, so "the count is back to where it was" can fail (or pass) for reasons unrelated to
/// the connection under test.
enum ConnectionDescriptors {
    /// Inode of the socket a front-end holds at `fd` in process `pid` (nil: not a socket).
    static func socketInode(pid: pid_t? = nil, fd: Int32) -> UInt64? {
        let path = "/proc/\(pid.map(String.init) ?? "self")/fd/\(fd)"
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return nil }
        return inode(fromSocketLink: target)
    }

    /// Every socket inode the process `pid` holds.
    static func socketInodes(pid: pid_t) -> [UInt64] {
        let dir = "/proc/\(pid)/fd"
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return fds.compactMap { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\($0)")).flatMap(inode(fromSocketLink:)) }
    }

    /// The inode at the other end of the UNIX stream socket `inode`, from `ss` (sock_diag's
    /// UNIX_DIAG_PEER): /proc/net/unix does not say which sockets are paired.
    static func peerInode(of inode: UInt64) -> UInt64? {
        guard let out = try? run("ss", ["-xan"]).output else { return nil }
        for line in out.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            // Netid State Recv-Q Send-Q Local Port Peer Port
            guard f.count >= 8, f[0] == "u_str", UInt64(f[5]) == inode, let peer = UInt64(f[7]), peer != 0 else { continue }
            return peer
        }
        return nil
    }

    /// Descriptors of this process that refer to socket `inode`.
    static func descriptors(ofSocket inode: UInt64) -> Int {
        let dir = "/proc/self/fd"
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\($0)")) == "socket:[\(inode)]" }.count
    }

    private static func inode(fromSocketLink target: String) -> UInt64? {
        guard target.hasPrefix("socket:["), target.hasSuffix("]") else { return nil }
        return UInt64(target.dropFirst(8).dropLast())
    }
}
