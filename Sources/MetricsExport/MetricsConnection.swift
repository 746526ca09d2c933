#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// One scrape: read a request head, then write one response, each before its deadline
/// (docs/never-blocking.md). The socket is non-blocking and every call on it returns at once.
final class MetricsConnection {
    enum Phase { case reading, writing }
    enum Progress {
        case waiting
        case head(HTTPExchange.Parse)
        case tooLarge
        case sent
        case failed(String)
    }

    let descriptor: OwnedFileDescriptor
    /// Accept order: at the connection cap the oldest one still reading is dropped.
    let serial: UInt64
    private(set) var phase = Phase.reading
    /// Monotonic nanoseconds by which the current phase must finish.
    private(set) var deadline: UInt64
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var sent = 0

    init(descriptor: OwnedFileDescriptor, serial: UInt64, deadline: UInt64) {
        self.descriptor = descriptor
        self.serial = serial
        self.deadline = deadline
    }

    var rawValue: Int32 { descriptor.rawValue }

    /// Reads what has arrived, up to `maximum` bytes of head in all.
    func readAvailable(maximum: Int) -> Progress {
        var chunk = [UInt8](repeating: 0, count: 2048)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return .waiting }
                return .failed("read: \(Errno.current)")
            }
            if n == 0 { return .failed(input.isEmpty ? "closed without a request" : "closed in the middle of its request") }
            input.append(contentsOf: chunk[0..<n])
            let parsed = HTTPExchange.parse(input)
            if parsed != .incomplete { return .head(parsed) }
            if input.count > maximum { return .tooLarge }
        }
    }

    /// Switches to writing `response`, which must be taken by `deadline`.
    func startResponse(_ response: [UInt8], deadline: UInt64) {
        phase = .writing
        input = []
        output = response
        sent = 0
        self.deadline = deadline
    }

    /// Writes as much as the socket takes now.
    func writeAvailable() -> Progress {
        while sent < output.count {
            let n = output.withUnsafeBytes { b in
                send(rawValue, b.baseAddress! + sent, b.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return .waiting }
                return .failed("write: \(Errno.current)")
            }
            sent += n
        }
        // FIN after the last byte, so the client sees the end of the response, not a reset.
        _ = shutdown(rawValue, Int32(SHUT_WR))
        return .sent
    }
}
