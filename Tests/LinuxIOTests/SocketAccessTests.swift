#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import Foundation
import LinuxIO
import TestSupport
import Testing

/// Socket file permissions, symlinks at the socket path, the non-blocking stale-socket probe and
/// SO_PEERCRED (docs/connections.md).
@Suite(.serialized) struct SocketAccessTests {
    private func status(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    @Test func socketFileIsCreatedWithTheConfiguredModeOwnerAndGroup() throws {
        let plain = temporaryPath("connect-plain")
        let defaultListener = try UnixListener(path: plain, permissions: .default)
        defer { defaultListener.close() }
        let d = try #require(status(plain))
        #expect(d.st_mode & 0o777 == 0o660 && d.st_uid == 0 && d.st_gid == 0)

        let path = temporaryPath("connect-owned")
        let listener = try UnixListener(path: path, permissions: SocketPermissions(owner: 65534, group: 65534, mode: 0o600))
        defer { listener.close() }
        let st = try #require(status(path))
        #expect(st.st_mode & S_IFMT == S_IFSOCK)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(st.st_uid == 65534 && st.st_gid == 65534)
    }

    @Test func aSymlinkPlantedAtTheSocketPathIsNeitherFollowedNorReplaced() throws {
        let target = temporaryPath("connect-target")
        #expect(FileManager.default.createFile(atPath: target, contents: Data("x".utf8),
                                               attributes: [.posixPermissions: 0o644]))
        defer { unlink(target) }
        let path = temporaryPath("connect-link")
        #expect(symlink(target, path) == 0)
        #expect(throws: Errno(EADDRINUSE)) {
            try UnixListener(path: path, permissions: SocketPermissions(owner: 65534, group: 65534, mode: 0o666))
        }
        let link = try #require(status(path))
        #expect(link.st_mode & S_IFMT == S_IFLNK, "the symlink is left alone")
        let file = try #require(status(target))
        #expect(file.st_mode & 0o777 == 0o644 && file.st_uid == 0, "its target is not chmod'ed or chown'ed")
        // Positive control: with the link gone the same path and permissions bind.
        unlink(path)
        let listener = try UnixListener(path: path, permissions: SocketPermissions(owner: 65534, group: 65534, mode: 0o666))
        defer { listener.close() }
        #expect(status(path).map { $0.st_uid == 65534 && $0.st_mode & 0o777 == 0o666 } == true)
    }

    @Test func staleSocketProbeDoesNotBlockOnALiveListenerWithAFullBacklog() throws {
        let path = temporaryPath("connect-full")
        // A live listener that never accepts, its backlog filled: a blocking connect would hang.
        let live = try UnixListener(path: path, backlog: 0)
        var pending: [UnixSocket] = []
        var sawEAGAIN = false
        for _ in 0..<64 {
            switch UnixSocket.connectWithoutBlocking(to: path) {
            case .success(let s): pending.append(s)
            case .failure(let e):
                sawEAGAIN = e.code == EAGAIN
            }
            if sawEAGAIN { break }
        }
        #expect(sawEAGAIN, "the backlog filled up")
        let start = ContinuousClock.now
        #expect(throws: Errno(EADDRINUSE)) { try UnixListener(path: path) }
        #expect(ContinuousClock.now - start < .milliseconds(500))
        #expect(status(path) != nil, "the live listener's socket is not removed")

        // Positive control: once nobody listens the leftover file is replaced.
        live.descriptor.close()   // closed without unlinking, like a crash
        pending.removeAll()
        let fresh = try UnixListener(path: path)
        defer { fresh.close() }
        _ = try UnixSocket.connect(to: path).get()
    }

    @Test func peerCredentialsNameTheUIDThatConnectedAndTheUIDThatListened() throws {
        let path = temporaryPath("connect-cred")
        let listener = try UnixListener(path: path, permissions: SocketPermissions(mode: 0o666))
        defer { listener.close() }

        // Accepted side: the connecting thread's uid (positive control: root).
        let asRoot = try UnixSocket.connect(to: path).get()
        let acceptedRoot = try #require(listener.accept().value)
        #expect(try acceptedRoot.peerCredentials().get().uid == 0)
        #expect(try acceptedRoot.peerCredentials().get().pid == getpid())
        _ = asRoot

        let asNobody = try onThread(asUID: 65534, gid: 65534) { try UnixSocket.connect(to: path).get() }
        let acceptedNobody = try #require(listener.accept().value)
        let peer = try acceptedNobody.peerCredentials().get()
        #expect(peer.uid == 65534 && peer.gid == 65534)
        _ = asNobody

        // Connecting side: the uid that called listen().
        let theirPath = temporaryPath("connect-theirs")
        let theirs = try onThread(asUID: 65534, gid: 65534) { try UnixListener(path: theirPath, permissions: SocketPermissions(mode: 0o666)) }
        defer { theirs.close() }
        let ours = try UnixSocket.connectWithoutBlocking(to: theirPath).get()
        #expect(try ours.peerCredentials().get().uid == 65534)
        #expect(status(theirPath)?.st_uid == 65534)
    }

    @Test func socketFilePermissionsKeepOutAUIDTheyDoNotAdmit() throws {
        let path = temporaryPath("connect-closed")
        let listener = try UnixListener(path: path, permissions: .default)   // root:root 0660
        defer { listener.close() }
        let denied = try onThread(asUID: 65534, gid: 65534) { UnixSocket.connect(to: path) }
        #expect(throws: Errno(EACCES)) { try denied.get() }
        // Positive control: the same uid in the socket's group gets in.
        let path2 = temporaryPath("connect-group")
        let grouped = try UnixListener(path: path2, permissions: SocketPermissions(group: 65534, mode: 0o660))
        defer { grouped.close() }
        let admitted = try onThread(asUID: 65534, gid: 65534) { UnixSocket.connect(to: path2) }
        #expect((try? admitted.get()) != nil)
    }
}
