#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import LinuxIO
import Logging

/// The daemon side of the control socket: accept, read one request line, answer, close.
/// Runs on the daemon's main thread; a slow or hostile local client costs at most the read timeout.
final class ControlServer {
    let listener: UnixListener
    private let logger: Logger

    init(path: String, logger: Logger) throws(Errno) {
        listener = try UnixListener(path: path, mode: 0o660)
        self.logger = logger
    }

    /// Serves every connection that is waiting, answering with `handle`.
    func serveReady(_ handle: (ControlRequest) -> ControlResponse) {
        while case .ok(let client) = listener.accept() {
            serve(client, handle)
        }
    }

    private func serve(_ client: UnixSocket, _ handle: (ControlRequest) -> ControlResponse) {
        try? client.descriptor.setNonBlocking(false)
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client.rawValue, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let response: ControlResponse
        switch readLine(client) {
        case .success(let line):
            do {
                let request = try ControlCodec.decode(ControlRequest.self, from: line)
                response = handle(request)
            } catch {
                response = .failure("malformed request: \(error)")
            }
        case .failure(let why):
            logger.debug("control client dropped", metadata: ["reason": "\(why)"])
            return
        }
        guard let bytes = try? ControlCodec.encodeLine(response) else { return }
        _ = client.send(bytes)
    }

    private enum ReadFailure: Error { case closed, tooLong, io(Errno) }

    private func readLine(_ client: UnixSocket) -> Result<[UInt8], ReadFailure> {
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while line.last != 0x0A {
            let n = chunk.withUnsafeMutableBytes { read(client.rawValue, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.io(.current))
            }
            if n == 0 { return line.isEmpty ? .failure(.closed) : .success(line) }
            line.append(contentsOf: chunk[0..<n])
            if line.count > ControlCodec.maximumLineLength { return .failure(.tooLong) }
        }
        return .success(line)
    }

    var rawValue: Int32 { listener.rawValue }

    func close() { listener.close() }
}
