import Capture
import ControlProtocol
import Datapath
import LinuxIO
import Logging

/// The daemon's running captures: started from a control request (the connection becomes the
/// stream), pumped every few milliseconds by the main loop while any runs (docs/capture.md).
final class CaptureStreams {
    /// How often the main loop drains the rings while a capture runs.
    static let pumpMilliseconds: Int32 = 5

    private let engine: Engine
    private let logger: Logger
    private var streams: [CaptureStream] = []

    init(engine: Engine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    var isEmpty: Bool { streams.isEmpty }
    var millisecondsToNextPump: Int32 { streams.isEmpty ? -1 : CaptureStreams.pumpMilliseconds }

    /// Takes the connection over when `request` is a capture; false for any other request.
    func takeOver(_ request: ControlRequest, socket: UnixSocket) -> Bool {
        guard case .capture(let capture) = request else { return false }
        let stream: CaptureStream
        switch start(capture) {
        case .success(let (ring, filter)):
            let reply = line(.done("capturing on \(capture.port)"))
            stream = CaptureStream(socket: socket, port: capture.port, ring: ring, filter: filter,
                                   limit: capture.count, reply: reply)
            logger.info("capture started", metadata: ["port": "\(capture.port)", "filter": "\(capture.filter ?? "")"])
        case .failure(let refusal):
            stream = CaptureStream(socket: socket, port: capture.port, ring: nil, filter: nil, limit: nil,
                                   reply: line(.failure(refusal.message)))
        }
        streams.append(stream)
        pump()
        return true
    }

    private func start(_ request: CaptureRequest) -> Result<(CaptureRing, PcapFilter?), CaptureRefusal> {
        let directions: CaptureDirections
        switch request.direction ?? "both" {
        case "in": directions = .received
        case "out": directions = .sent
        case "both": directions = .both
        case let other: return .failure("'\(other)' is not a capture direction: write in, out or both")
        }
        if let vlan = request.vlan, !(1...4094).contains(vlan) {
            return .failure("VLAN \(vlan) is out of range 1...4094")
        }
        if let count = request.count, count < 1 { return .failure("the frame count must be at least 1, not \(count)") }
        let snaplen = request.snaplen ?? CaptureRequest.defaultSnaplen
        guard (64...65_535).contains(snaplen) else { return .failure("snaplen \(snaplen) is out of range 64...65535") }
        var filter: PcapFilter?
        if let expression = request.filter, !expression.isEmpty {
            do { filter = try PcapFilter(expression: expression, snaplen: Int32(snaplen)) } catch {
                return .failure("bad capture filter '\(expression)': \(error.message)")
            }
        }
        let ring = CaptureRing(snaplen: snaplen)
        let vlan = request.vlan
        switch engine.perform({ $0.startCapture(port: request.port, directions: directions, vlan: vlan, into: ring) }) {
        case .success(.success): return .success((ring, filter))
        case .success(.failure(.noSuchPort(let name))):
            let names = engine.snapshot().map { $0.ports.map(\.name) }
            let list = (try? names.get()).map { $0.isEmpty ? "none" : $0.joined(separator: ", ") } ?? "unknown"
            return .failure("no port named \(name) (ports: \(list))")
        case .success(.failure(let e)): return .failure("\(e)")
        case .failure(let e): return .failure("\(e)")
        }
    }

    /// Drains every running capture into its client; closes the ones that are over.
    func pump() {
        let now = MonotonicClock.nanoseconds()
        streams.removeAll { stream in
            if stream.pump(now: now, portGone: portGone, stop: stop) { return false }
            stream.socket.descriptor.close()
            return true
        }
    }

    /// The daemon is stopping (the engine may already have stopped: then no stop is needed).
    func closeAll() {
        for stream in streams {
            stream.shutDown { ring in _ = engine.perform(timeoutSeconds: 0.5) { $0.stopCapture(ring) } }
            stream.socket.descriptor.close()
        }
        streams = []
    }

    /// Once a second per capture, through the engine's mailbox like every control read.
    private func portGone(_ ring: CaptureRing) -> Bool {
        if case .success(let follows) = engine.perform({ $0.captureFollowsItsPort(ring) }) { return !follows }
        return false
    }

    private func stop(_ ring: CaptureRing) {
        if case .failure(let e) = engine.perform({ $0.stopCapture(ring) }) {
            logger.error("capture not stopped in the engine: \(e)")
        }
    }

    private func line(_ response: ControlResponse) -> [UInt8] {
        (try? ControlCodec.encodeLine(response)) ?? Array("{}\n".utf8)
    }
}

/// A capture request refused, as the sentence `yardctl` prints.
struct CaptureRefusal: Error, ExpressibleByStringInterpolation {
    let message: String
    init(stringLiteral value: String) { message = value }
}
