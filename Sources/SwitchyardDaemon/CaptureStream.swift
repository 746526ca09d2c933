#if canImport(Glibc)
import Glibc
#endif
import Capture
import ControlProtocol
import Datapath
import LinuxIO

/// One `yardctl capture` connection after its request (docs/capture.md): the daemon thread
/// drains the capture's ring, runs the BPF filter and writes records, never waiting on the
/// client. Output waiting for the client is bounded: past `outputHighWater` the ring is left to
/// fill, and the engine counts what it cannot store as lost, so a slow reader never slows the
/// datapath nor grows the daemon.
final class CaptureStream {
    static let outputHighWater = 512 * 1024
    /// How long a finished capture may take to hand its last records and summary to the client.
    static let endDeadlineNanoseconds: UInt64 = 2_000_000_000

    let socket: UnixSocket
    let port: String
    /// nil for a stream that only carries a refusal line.
    private let ring: CaptureRing?
    private let filter: PcapFilter?
    private let limit: UInt64?
    private var captured: UInt64 = 0
    private var filteredOut: UInt64 = 0
    private var output: [UInt8] = []
    private var sent = 0
    /// Set once the capture stopped in the engine: only the output is left to go.
    private var endDeadline: UInt64?
    /// When to ask the engine next whether the captured port is still the one the capture began on.
    private var nextPortCheck: UInt64 = 0

    /// A running capture; `reply` is its first line.
    init(socket: UnixSocket, port: String, ring: CaptureRing?, filter: PcapFilter?, limit: Int?, reply: [UInt8]) {
        self.socket = socket
        self.port = port
        self.ring = ring
        self.filter = filter
        self.limit = limit.map { UInt64(max(0, $0)) }
        output = reply
        if ring == nil { endDeadline = MonotonicClock.nanoseconds() &+ CaptureStream.endDeadlineNanoseconds }
    }

    var isRunning: Bool { endDeadline == nil }

    /// Moves frames from the ring to the client as far as it takes them; false once the stream is
    /// over (the caller closes it). `stop` ends the capture in the engine.
    func pump(now: UInt64, portGone: (CaptureRing) -> Bool, stop: (CaptureRing) -> Void) -> Bool {
        if isRunning, let ring {
            if now >= nextPortCheck {
                nextPortCheck = now &+ 1_000_000_000
                if portGone(ring) { finish("port \(port) removed", ring: ring, now: now, stop: stop) }
            }
            switch isRunning ? clientInput() : .open {
            case .open: break
            case .halfClosed: finish("stopped by the client", ring: ring, now: now, stop: stop)
            case .gone:
                stop(ring)
                return false
            }
            if isRunning { drain(ring, now: now, stop: stop) }
        }
        guard flush() else {
            if isRunning, let ring { stop(ring) }
            return false
        }
        if let endDeadline { return sent < output.count && now < endDeadline }
        return true
    }

    /// The daemon is stopping: end the capture and give the client what fits now.
    func shutDown(stop: (CaptureRing) -> Void) {
        if isRunning, let ring { finish("switchyard stopping", ring: ring, now: MonotonicClock.nanoseconds(), stop: stop) }
        _ = flush()
    }

    private func drain(_ ring: CaptureRing, now: UInt64, stop: (CaptureRing) -> Void) {
        while output.count - sent < CaptureStream.outputHighWater, let frame = ring.peek() {
            take(frame)
            ring.release()
            if let limit, captured >= limit {
                finish("\(limit) frames", ring: ring, now: now, stop: stop)
                return
            }
        }
    }

    private func take(_ frame: CapturedFrame) {
        if let filter, !filter.matches(frame: frame.bytes, originalLength: frame.originalLength) {
            filteredOut &+= 1
            return
        }
        captured &+= 1
        let ns = frame.timestampNanoseconds
        CaptureRecord.appendFrame(to: &output, direction: frame.direction.rawValue,
                                  seconds: UInt32(truncatingIfNeeded: ns / 1_000_000_000),
                                  microseconds: UInt32(truncatingIfNeeded: ns % 1_000_000_000 / 1000),
                                  originalLength: UInt32(truncatingIfNeeded: frame.originalLength), bytes: frame.bytes)
    }

    /// Stops the engine's copies, takes what the ring still holds (up to the count), then the summary.
    private func finish(_ reason: String, ring: CaptureRing, now: UInt64, stop: (CaptureRing) -> Void) {
        stop(ring)
        while limit.map({ captured < $0 }) ?? true, let frame = ring.peek() {
            take(frame)
            ring.release()
        }
        CaptureRecord.appendEnd(to: &output, CaptureSummary(captured: captured, filteredOut: filteredOut,
                                                            lost: ring.lost, reason: reason))
        endDeadline = now &+ CaptureStream.endDeadlineNanoseconds
    }

    private enum ClientState { case open, halfClosed, gone }

    /// The client sends nothing after its request; its half-close (yardctl on SIGINT) ends the
    /// capture with a summary, an error or hang-up ends it without one.
    private func clientInput() -> ClientState {
        var scratch = [UInt8](repeating: 0, count: 256)
        while true {
            let n = scratch.withUnsafeMutableBytes { recv(socket.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { continue }
            if n == 0 { return .halfClosed }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .open : .gone
        }
    }

    /// Sends what the socket takes now; false when the client is gone.
    private func flush() -> Bool {
        while sent < output.count {
            let n = output.withUnsafeBytes { b in
                send(socket.rawValue, b.baseAddress! + sent, b.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return false
            }
            sent += n
        }
        if sent == output.count {
            output.removeAll(keepingCapacity: true)
            sent = 0
        } else if sent >= CaptureStream.outputHighWater {
            output.removeFirst(sent)
            sent = 0
        }
        return true
    }
}
