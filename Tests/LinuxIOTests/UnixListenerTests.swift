#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxIO
import Testing

@Suite struct UnixListenerTests {
    /// What a crashed previous run leaves behind: a socket file nobody listens on.
    private func leaveStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        #expect(bindUnix(fd, to: path) == 0)
        close(fd)
    }

    @Test func replacesAStaleSocketFileThenAcceptsAndExchangesBytes() throws {
        let path = temporaryPath("stale")
        try leaveStaleSocket(at: path)
        var st = stat()
        #expect(lstat(path, &st) == 0)

        let listener = try UnixListener(path: path, mode: 0o600)
        #expect(lstat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(listener.accept().isWouldBlock)

        let client = try UnixSocket.connect(to: path).get()
        let server = try #require(listener.accept().value)
        #expect(fcntl(server.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(client.send([1, 2, 3]).value != nil)
        var buffer = [UInt8](repeating: 0, count: 3)
        #expect(buffer.withUnsafeMutableBytes { server.readExactly(into: $0) }.value != nil)
        #expect(buffer == [1, 2, 3])

        listener.close()
        #expect(lstat(path, &st) != 0)
        #expect(throws: Errno(ENOENT)) { try UnixSocket.connect(to: path).get() }
    }

    @Test func leavesALiveListenersSocketAlone() throws {
        let path = temporaryPath("live")
        let first = try UnixListener(path: path)
        #expect(throws: Errno(EADDRINUSE)) { try UnixListener(path: path) }
        // The failed second bind neither unlinked nor broke the first.
        _ = try UnixSocket.connect(to: path).get()
        #expect(first.accept().value != nil)
    }

    @Test func neverDeletesAFileThatIsNotASocket() throws {
        let path = temporaryPath("regular")
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        close(fd)
        defer { unlink(path) }
        #expect(throws: Errno(EADDRINUSE)) { try UnixListener(path: path) }
        var st = stat()
        #expect(lstat(path, &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFREG)
    }

    @Test func rejectsAPathLongerThanSunPath() {
        let path = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: Errno(ENAMETOOLONG)) { try UnixListener(path: path) }
        #expect(throws: Errno(ENAMETOOLONG)) { try UnixSocket.connect(to: path).get() }
    }
}

/// A client that connects the moment the socket file appears (as tests, QEMU's reconnect and
/// yardctl do) is never refused: the file appears only once the socket listens.
@Suite struct ListenerPublicationTests {
    /// Waits for `path` to exist, then connects once; the errno of a refusal, or 0.
    private func connectAsSoonAsItExists(_ path: String) -> Int32 {
        var st = stat()
        let deadline = MonotonicClock.nanoseconds() + 2_000_000_000
        while lstat(path, &st) != 0 { if MonotonicClock.nanoseconds() > deadline { return ETIMEDOUT } }
        switch UnixSocket.connectWithoutBlocking(to: path) {
        case .success: return 0
        case .failure(let e): return e.code
        }
    }

    @Test func theSocketFileAppearsOnlyOnceItListens() throws {
        let path = temporaryPath("publish")
        var refused = 0
        for _ in 0..<200 {
            var outcome: Int32 = -1
            let watcher = Thread { outcome = connectAsSoonAsItExists(path) }
            watcher.start()
            let listener = try UnixListener(path: path, mode: 0o600)
            while outcome == -1 { usleep(100) }
            if outcome == ECONNREFUSED { refused += 1 }
            #expect(outcome == 0 || outcome == ECONNREFUSED, "errno \(outcome)")
            _ = listener
        }
        #expect(refused == 0)
    }

    /// Control: the same watcher does see a socket that is bound but not yet listening.
    @Test func theWatcherSeesABoundSocketThatDoesNotListen() throws {
        let path = temporaryPath("unlistened")
        var outcome: Int32 = -1
        let watcher = Thread { outcome = connectAsSoonAsItExists(path) }
        watcher.start()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd); unlink(path) }
        #expect(bindUnix(fd, to: path) == 0)
        while outcome == -1 { usleep(100) }
        #expect(outcome == ECONNREFUSED)
    }
}

/// bind(2) of `fd` to `path`, as a crashed run or a slow listener leaves it; returns bind's result.
private func bindUnix(_ fd: Int32, to path: String) -> Int32 {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { dst in
        let bytes = Array(path.utf8)
        dst.copyBytes(from: bytes)
        dst[bytes.count] = 0
    }
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
}
