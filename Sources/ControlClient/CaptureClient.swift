#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import LinuxIO

/// The client side of a capture stream (docs/capture.md): the request, the daemon's reply line,
/// then records until the end record. `stop()` half-closes the socket, which asks the daemon to
/// end the capture and send its summary.
public final class CaptureClient {
    public let socketPath: String
    private let socket: UnixSocket
    private var buffer: [UInt8] = []
    private var consumed = 0
    private var stopped = false

    /// Sends `request` and waits for the daemon's answer; a refusal throws its sentence.
    public init(socketPath: String = defaultControlSocketPath, request: CaptureRequest,
                timeoutSeconds: Int = 10) throws(ControlClientError) {
        self.socketPath = socketPath
        switch UnixSocket.connect(to: socketPath) {
        case .success(let s): socket = s
        case .failure(let e): throw .unreachable(path: socketPath, e)
        }
        let line: [UInt8]
        do { line = try ControlCodec.encodeLine(ControlRequest.capture(request)) } catch {
            throw .badReply("cannot encode request: \(error)")
        }
        switch socket.send(line) {
        case .ok: break
        case .wouldBlock, .closed: throw .io(path: socketPath, "daemon closed the connection")
        case .error(let e): throw .io(path: socketPath, "\(e)")
        }
        let deadline = MonotonicClock.nanoseconds() &+ UInt64(timeoutSeconds) * 1_000_000_000
        while true {
            if let newline = buffer[consumed...].firstIndex(of: 0x0A) {
                let reply = Array(buffer[consumed...newline])
                consumed = newline + 1
                let response: ControlResponse
                do { response = try ControlCodec.decode(ControlResponse.self, from: reply) } catch {
                    throw .badReply("\(error)")
                }
                switch response {
                case .done: return
                case .failure(let message): throw .refused(message)
                default: throw .badReply("\(response)")
                }
            }
            let now = MonotonicClock.nanoseconds()
            guard now < deadline else { throw .io(path: socketPath, "no reply within \(timeoutSeconds) s") }
            guard try fill(timeoutMilliseconds: Int32((deadline - now) / 1_000_000) + 1) else {
                throw .io(path: socketPath, "daemon closed the connection without a reply")
            }
        }
    }

    /// The next record, waiting as long as it takes; `shouldStop` is asked every 100 ms and the
    /// capture is stopped (the summary still follows) once it says so.
    public func next(shouldStop: () -> Bool = { false }) throws(ControlClientError) -> CaptureRecord {
        while true {
            do {
                if let (record, used) = try CaptureRecord.decode(buffer[consumed...]) {
                    consumed += used
                    if consumed > 1 << 20 {
                        buffer.removeFirst(consumed)
                        consumed = 0
                    }
                    return record
                }
            } catch { throw .badReply("\(error)") }
            if !stopped && shouldStop() { stop() }
            guard try fill(timeoutMilliseconds: 100) else {
                throw .io(path: socketPath, "daemon closed the capture without a summary")
            }
        }
    }

    /// Asks the daemon to end the capture (its summary is the last record).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        shutdown(socket.rawValue, Int32(SHUT_WR))
    }

    /// Reads what arrives within the timeout; false at the end of the stream.
    private func fill(timeoutMilliseconds: Int32) throws(ControlClientError) -> Bool {
        var p = pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, timeoutMilliseconds)
        if ready <= 0 { return true }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(socket.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return true }
            throw .io(path: socketPath, "\(Errno.current)")
        }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }
}
