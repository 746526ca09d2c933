#if canImport(Glibc)
import Glibc
#endif

/// One request and one reply on a non-blocking stream socket, each half bounded by a deadline
/// the owner checks (docs/never-blocking.md): the bytes read so far, the reply being written and
/// how much of it went out. Every call returns at once (MSG_DONTWAIT, even on a descriptor some
/// other holder made blocking). What a complete request is — a line, an HTTP head — is the
/// owner's business: the control socket and the metrics endpoint share this and parse their own.
public final class DeadlineExchange {
    public enum Phase: Sendable { case reading, writing }

    /// What one call did.
    public enum Step: Sendable {
        /// Nothing more to do now.
        case waiting
        /// This many bytes were appended to `input`.
        case received(Int)
        /// The peer closed its side (no more input).
        case endOfInput
        /// The whole reply is written.
        case written
        case failed(String)
    }

    /// Accept order: at a connection cap the oldest one still reading goes first.
    public let serial: UInt64
    public private(set) var phase = Phase.reading
    /// Monotonic nanoseconds by which the current phase must finish.
    public private(set) var deadline: UInt64
    /// Everything read so far.
    public private(set) var input: [UInt8] = []
    private var output: [UInt8] = []
    private var sent = 0
    private let fd: Int32

    /// `fd` stays owned by the caller, who keeps it open as long as this exchange.
    public init(fd: Int32, serial: UInt64, deadline: UInt64) {
        self.fd = fd
        self.serial = serial
        self.deadline = deadline
    }

    /// One read of what has arrived, appended to `input`.
    public func receive() -> Step {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return .waiting }
                return .failed("read: \(Errno.current)")
            }
            if n == 0 { return .endOfInput }
            input.append(contentsOf: chunk[0..<n])
            return .received(n)
        }
    }

    /// Switches to writing `reply`, which must be taken by `deadline`.
    public func startWriting(_ reply: [UInt8], deadline: UInt64) {
        phase = .writing
        input = []
        output = reply
        sent = 0
        self.deadline = deadline
    }

    /// Writes as much of the reply as the socket takes now.
    public func writeAvailable() -> Step {
        while sent < output.count {
            let n = output.withUnsafeBytes { b in
                send(fd, b.baseAddress! + sent, b.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return .waiting }
                return .failed("write: \(Errno.current)")
            }
            sent += n
        }
        return .written
    }
}
