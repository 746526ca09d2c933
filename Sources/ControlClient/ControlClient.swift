#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import LinuxIO

public enum ControlClientError: Error, CustomStringConvertible {
    case unreachable(path: String, Errno)
    case io(path: String, String)
    case badReply(String)
    /// The daemon's sentence for a request it refused (a capture stream's first line).
    case refused(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let e):
            if e.code == ENOENT || e.code == ECONNREFUSED {
                return "cannot reach switchyard at \(path): no daemon is listening there (\(e)); start it or pass --socket PATH"
            }
            return "cannot reach switchyard at \(path): \(e)"
        case .io(let path, let what): return "control socket \(path): \(what)"
        case .badReply(let what): return "unexpected reply from switchyard: \(what)"
        case .refused(let sentence): return sentence
        }
    }
}

/// One request, one reply, over the daemon's control socket.
public struct ControlClient {
    public let socketPath: String
    public var timeoutSeconds: Int

    public init(socketPath: String = defaultControlSocketPath, timeoutSeconds: Int = 10) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
        let socket: UnixSocket
        switch UnixSocket.connect(to: socketPath) {
        case .success(let s): socket = s
        case .failure(let e): throw .unreachable(path: socketPath, e)
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket.rawValue, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let line: [UInt8]
        do { line = try ControlCodec.encodeLine(request) } catch { throw .badReply("cannot encode request: \(error)") }
        switch socket.send(line) {
        case .ok: break
        case .wouldBlock, .closed: throw .io(path: socketPath, "daemon closed the connection")
        case .error(let e): throw .io(path: socketPath, "\(e)")
        }
        let reply = try readLine(socket)
        do { return try ControlCodec.decode(ControlResponse.self, from: reply) } catch {
            throw .badReply("\(error)")
        }
    }

    private func readLine(_ socket: UnixSocket) throws(ControlClientError) -> [UInt8] {
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(socket.rawValue, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: socketPath, errno == EAGAIN ? "no reply within \(timeoutSeconds) s" : "\(Errno.current)")
            }
            if n == 0 { break }
            reply.append(contentsOf: chunk[0..<n])
            if reply.last == 0x0A { break }
        }
        guard !reply.isEmpty else { throw .io(path: socketPath, "daemon closed the connection without a reply") }
        return reply
    }
}
