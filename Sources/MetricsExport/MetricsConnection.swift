#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// One scrape: read a request head, then write one response, each before its deadline
/// (docs/never-blocking.md). The I/O is LinuxIO's `DeadlineExchange`, as for the control socket;
/// this adds what a request is here (an HTTP head, `HTTPExchange.parse`) and the FIN after the
/// response.
final class MetricsConnection {
    enum Progress {
        case waiting
        case head(HTTPExchange.Parse)
        case tooLarge
        case sent
        case failed(String)
    }

    let descriptor: OwnedFileDescriptor
    let exchange: DeadlineExchange

    init(descriptor: OwnedFileDescriptor, serial: UInt64, deadline: UInt64) {
        self.descriptor = descriptor
        exchange = DeadlineExchange(fd: descriptor.rawValue, serial: serial, deadline: deadline)
    }

    var rawValue: Int32 { descriptor.rawValue }
    var serial: UInt64 { exchange.serial }
    var phase: DeadlineExchange.Phase { exchange.phase }
    var deadline: UInt64 { exchange.deadline }

    /// Reads what has arrived, up to `maximum` bytes of head in all.
    func readAvailable(maximum: Int) -> Progress {
        while true {
            switch exchange.receive() {
            case .waiting, .written: return .waiting
            case .failed(let why): return .failed(why)
            case .endOfInput:
                return .failed(exchange.input.isEmpty ? "closed without a request" : "closed in the middle of its request")
            case .received:
                let parsed = HTTPExchange.parse(exchange.input)
                if parsed != .incomplete { return .head(parsed) }
                if exchange.input.count > maximum { return .tooLarge }
            }
        }
    }

    /// Switches to writing `response`, which must be taken by `deadline`.
    func startResponse(_ response: [UInt8], deadline: UInt64) {
        exchange.startWriting(response, deadline: deadline)
    }

    /// Writes as much as the socket takes now.
    func writeAvailable() -> Progress {
        switch exchange.writeAvailable() {
        case .written:
            // FIN after the last byte, so the client sees the end of the response, not a reset.
            _ = shutdown(rawValue, Int32(SHUT_WR))
            return .sent
        case .failed(let why): return .failed(why)
        case .waiting, .received, .endOfInput: return .waiting
        }
    }
}
