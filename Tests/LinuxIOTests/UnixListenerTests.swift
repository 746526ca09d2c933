#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

@Suite struct UnixListenerTests {
    /// What a crashed previous run leaves behind: a socket file nobody listens on.
    private func leaveStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { dst in
            let bytes = Array(path.utf8)
            dst.copyBytes(from: bytes)
            dst[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(rc == 0)
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
