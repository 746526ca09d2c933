#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Plays systemd's side of sd_notify for a daemon under test: a datagram socket the daemon's
/// NOTIFY_SOCKET names, and a way to hold the daemon still at the moment it notifies.
///
/// `fill()` queues datagrams from a second socket until the kernel refuses more (the receive
/// queue is full, /proc/sys/net/unix/max_dgram_qlen); the daemon's next notification then
/// blocks in sendto until we read, so what the test sees on disk while it waits is exactly the
/// state at the moment of the notification, with no race.
final class NotifyListener {
    let name: String          // what NOTIFY_SOCKET says: a path or "@abstract"
    private let fd: Int32
    private let filler: Int32
    private static let fillerText = "systemd-test-filler"

    init(abstract: Bool = false) throws {
        let tag = "systemd-notify-\(getpid())-\(UUID().uuidString.prefix(8))"
        name = abstract ? "@\(tag)" : NSTemporaryDirectory() + "/\(tag).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        filler = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, filler >= 0 else { throw DaemonTestError("socket: \(errno)") }
        let (bound, length) = try address()
        var addr = bound
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { throw DaemonTestError("bind \(name): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(fd)
        close(filler)
        if !name.hasPrefix("@") { unlink(name) }
    }

    private func address() throws -> (sockaddr_un, socklen_t) {
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw DaemonTestError("name too long") }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        return (addr, socklen_t(offset + bytes.count + (abstract ? 0 : 1)))
    }

    /// The environment for a daemon that should notify us (NOTIFY_SOCKET replaced).
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = name
        return env
    }

    static var environmentWithoutNotifySocket: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        return env
    }

    /// Fills the receive queue; returns how many filler datagrams went in.
    @discardableResult
    func fill() throws -> Int {
        let (bound, length) = try address()
        var addr = bound
        var count = 0
        let text = Array(NotifyListener.fillerText.utf8)
        while true {
            let n = text.withUnsafeBytes { bytes in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(filler, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, length)
                    }
                }
            }
            if n < 0 {
                guard errno == EAGAIN else { throw DaemonTestError("filler sendto: \(errno)") }
                return count
            }
            count += 1
        }
    }

    /// The next datagram that is not a filler, waiting up to `timeout` seconds; nil if none came.
    func receive(timeout: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(max(0, remaining * 1000))) > 0 else { return nil }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            if text != NotifyListener.fillerText { return text }
        }
    }

    /// Every notification already queued (fillers dropped), without waiting.
    func drain() -> [String] {
        var messages: [String] = []
        while let m = receive(timeout: 0) { messages.append(m) }
        return messages
    }

    /// Waits until the main thread of `pid` sleeps in sendto on a full AF_UNIX datagram queue.
    static func waitUntilBlockedSending(pid: Int32, timeout: Double = 10) throws {
        try waitFor("pid \(pid) blocked sending a notification", timeout: timeout) {
            let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? ""
            if wchan == "unix_wait_for_peer" { return true }
            // Kernels that hide wchan: the syscall number (sendto 44 / sendmsg 46 on x86_64).
            let syscall = (try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8)) ?? ""
            return wchan == "0" && (syscall.hasPrefix("44 ") || syscall.hasPrefix("46 "))
        }
    }
}

/// `KEY=VALUE` lines of one notification.
func notifyFields(_ message: String) -> [String: String] {
    var fields: [String: String] = [:]
    for line in message.split(separator: "\n") {
        guard let eq = line.firstIndex(of: "=") else { continue }
        fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return fields
}

func isSocket(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
}
