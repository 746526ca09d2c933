#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify(3) protocol without libsystemd (docs/deploy.md, "Readiness"): one datagram of
/// newline-separated `KEY=VALUE` lines to the AF_UNIX socket named by `NOTIFY_SOCKET`, a path or,
/// with a leading `@`, an abstract name. Without `NOTIFY_SOCKET` (not started by systemd with
/// Type=notify) every call does nothing. The protocol is stable (systemd.io/PORTABILITY_AND_STABILITY).
struct SystemdNotifier {
    /// The process's notifier, read once from the environment.
    static let shared = SystemdNotifier(socket: getenv("NOTIFY_SOCKET").map { String(cString: $0) })

    /// `sockaddr_un` bytes and their length; nil when there is nowhere to send.
    private let address: (sockaddr_un, socklen_t)?

    init(socket: String?) {
        address = socket.flatMap(SystemdNotifier.address)
    }

    /// Every configured socket listens (or connects) and the control socket is up.
    func ready(status: String) { send(["READY=1", "STATUS=" + status]) }

    /// Sent before a reload touches anything; `READY=1` must follow even if the reload is refused,
    /// or systemd keeps the unit in `reloading`. MONOTONIC_USEC is what Type=notify-reload
    /// (systemd ≥ 253) matches against its own clock; older systemd ignores it.
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        send(["RELOADING=1", "MONOTONIC_USEC=\(usec)", "STATUS=reloading"])
    }

    func stopping() { send(["STOPPING=1", "STATUS=stopping"]) }

    /// Best effort, like sd_notify: a missing or refusing socket must not stop the daemon. Blocking
    /// (no MSG_DONTWAIT) as sd_notify is, so a busy systemd gets the message late rather than never.
    @discardableResult
    func send(_ lines: [String]) -> Bool {
        guard let (address, length) = address else { return false }
        var addr = address
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let message = Array(lines.joined(separator: "\n").utf8)
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == message.count
    }

    /// `/path` or `@abstract` (the `@` becomes the leading NUL; the length then counts only the
    /// name, as abstract names are not NUL-terminated). Anything else (e.g. systemd 254's
    /// `vsock:` form) is not for a host daemon: ignored.
    static func address(_ socket: String) -> (sockaddr_un, socklen_t)? {
        var bytes = Array(socket.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@") else { return nil }
        let abstract = first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count > 1, bytes.count < capacity, !bytes.dropFirst().contains(0) else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        return (addr, socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1)))
    }
}
