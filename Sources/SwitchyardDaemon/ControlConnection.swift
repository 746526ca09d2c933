import ControlProtocol
import LinuxIO

/// One `yardctl` connection on the non-blocking control socket: it reads one request line, then
/// writes one reply, each before its deadline (docs/never-blocking.md). The I/O is LinuxIO's
/// `DeadlineExchange`; this adds what a request is here: one line (or what came before the peer's
/// half-close).
final class ControlConnection {
    enum Progress { case waiting, requestComplete([UInt8]), replySent, failed(String) }

    let socket: UnixSocket
    let exchange: DeadlineExchange

    init(socket: UnixSocket, serial: UInt64, deadline: UInt64) {
        self.socket = socket
        exchange = DeadlineExchange(fd: socket.rawValue, serial: serial, deadline: deadline)
    }

    var rawValue: Int32 { socket.rawValue }
    var serial: UInt64 { exchange.serial }
    var phase: DeadlineExchange.Phase { exchange.phase }
    var deadline: UInt64 { exchange.deadline }

    /// Reads what is there without waiting; a complete line (or the peer's half-close after some
    /// bytes) is the request.
    func readAvailable(maximum: Int) -> Progress {
        while true {
            switch exchange.receive() {
            case .waiting, .written: return .waiting
            case .failed(let why): return .failed(why)
            case .endOfInput:
                return exchange.input.isEmpty ? .failed("closed without a request") : .requestComplete(exchange.input)
            case .received(let n):
                let input = exchange.input
                if let newline = input[(input.count - n)...].firstIndex(of: 0x0A) {
                    let line = Array(input[...newline])
                    return line.count > maximum ? .failed("request longer than \(maximum) bytes") : .requestComplete(line)
                }
                if input.count > maximum { return .failed("request longer than \(maximum) bytes") }
            }
        }
    }

    /// Switches to writing `reply`, which must be done by `deadline`.
    func startReply(_ reply: [UInt8], deadline: UInt64) { exchange.startWriting(reply, deadline: deadline) }

    /// Writes as much of the reply as the socket takes now.
    func writeAvailable() -> Progress {
        switch exchange.writeAvailable() {
        case .written: return .replySent
        case .failed(let why): return .failed(why)
        case .waiting, .received, .endOfInput: return .waiting
        }
    }
}
