#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import LinuxIO

/// One `yardctl` connection on the non-blocking control socket: it reads one request line, then
/// writes one reply, each before its deadline (docs/never-blocking.md). Nothing here ever waits.
final class ControlConnection {
    enum Phase { case reading, writing }
    enum Progress { case waiting, requestComplete([UInt8]), replySent, failed(String) }

    let socket: UnixSocket
    /// Accept order: the oldest reader is evicted when the connection cap is reached.
    let serial: UInt64
    private(set) var phase = Phase.reading
    /// Monotonic nanoseconds by which the current phase must finish.
    private(set) var deadline: UInt64
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var sent = 0

    init(socket: UnixSocket, serial: UInt64, deadline: UInt64) {
        self.socket = socket
        self.serial = serial
        self.deadline = deadline
    }

    var rawValue: Int32 { socket.rawValue }

    /// Reads what is there without waiting; a complete line (or the peer's half-close after some
    /// bytes) is the request.
    func readAvailable(maximum: Int) -> Progress {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(socket.rawValue, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return .waiting }
                return .failed("read: \(Errno.current)")
            }
            if n == 0 { return input.isEmpty ? .failed("closed without a request") : .requestComplete(input) }
            if let newline = chunk[0..<n].firstIndex(of: 0x0A) {
                input.append(contentsOf: chunk[0...newline])
                return input.count > maximum ? .failed("request longer than \(maximum) bytes") : .requestComplete(input)
            }
            input.append(contentsOf: chunk[0..<n])
            if input.count > maximum { return .failed("request longer than \(maximum) bytes") }
        }
    }

    /// Switches to writing `reply`, which must be done by `deadline`.
    func startReply(_ reply: [UInt8], deadline: UInt64) {
        phase = .writing
        input = []
        output = reply
        sent = 0
        self.deadline = deadline
    }

    /// Writes as much of the reply as the socket takes now (MSG_DONTWAIT: even a descriptor some
    /// other holder made blocking cannot make this wait).
    func writeAvailable() -> Progress {
        while sent < output.count {
            let n = output.withUnsafeBytes { b in
                send(socket.rawValue, b.baseAddress! + sent, b.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return .waiting }
                return .failed("write: \(Errno.current)")
            }
            sent += n
        }
        return .replySent
    }
}
