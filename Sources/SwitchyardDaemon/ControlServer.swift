#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import LinuxIO
import Logging

/// The daemon side of the control socket, multiplexed on the main loop so that no client can hold
/// it (docs/never-blocking.md): every socket is non-blocking, each connection has a deadline to
/// send its request and another to take its reply, requests are size-capped, and past
/// `maximumConnections` the oldest connection still reading is dropped for the newcomer.
///
/// The daemon registers `rawValue` (the listener) and `clientsDescriptor` (an epoll of the
/// connections) in its own epoll, calls `acceptReady`/`serviceReady` on their events, and
/// `expire` every turn with a wait no longer than `millisecondsToNextDeadline`.
final class ControlServer {
    struct Limits {
        var maximumConnections = 64
        var requestDeadlineNanoseconds: UInt64 = 2_000_000_000
        var replyDeadlineNanoseconds: UInt64 = 2_000_000_000
        var maximumRequestBytes = ControlCodec.maximumLineLength
    }

    let listener: UnixListener
    let limits: Limits
    private let logger: Logger
    private let clients: Epoll
    private var connections: [Int32: ControlConnection] = [:]
    private var serial: UInt64 = 0
    /// Connections closed for a missed deadline, an oversize request or the cap (tests, logs).
    private(set) var dropped = 0

    init(path: String, logger: Logger, limits: Limits = Limits()) throws(Errno) {
        listener = try UnixListener(path: path, backlog: 128, mode: 0o660)
        clients = try Epoll(capacity: 64)
        self.limits = limits
        self.logger = logger
    }

    var rawValue: Int32 { listener.rawValue }
    var clientsDescriptor: Int32 { clients.descriptor.rawValue }
    var connectionCount: Int { connections.count }

    /// Accepts every waiting connection, making room under the cap.
    func acceptReady(now: UInt64 = MonotonicClock.nanoseconds()) {
        while case .ok(let socket) = listener.accept() {
            do {
                try socket.descriptor.setNonBlocking()
                if connections.count >= limits.maximumConnections && !evictOldestReader() {
                    socket.descriptor.close()
                    dropped += 1
                    continue
                }
                try clients.add(socket.rawValue, events: .readable, token: UInt64(UInt32(bitPattern: socket.rawValue)))
            } catch {
                logger.warning("control connection not served: \(error)")
                socket.descriptor.close()
                continue
            }
            serial &+= 1
            connections[socket.rawValue] = ControlConnection(socket: socket, serial: serial,
                                                             deadline: now &+ limits.requestDeadlineNanoseconds)
        }
    }

    /// Reads requests and writes replies on the connections that are ready; never waits.
    /// `takeOver` gets each request first: true when it made the connection its own (a capture
    /// stream, docs/capture.md), which then leaves this server's deadlines and cap.
    func serviceReady(now: UInt64 = MonotonicClock.nanoseconds(), _ handle: (ControlRequest) -> ControlResponse,
                      takeOver: (ControlRequest, UnixSocket) -> Bool = { _, _ in false }) {
        for event in clients.wait(timeoutMilliseconds: 0) {
            let fd = Int32(truncatingIfNeeded: event.token)
            guard let c = connections[fd] else { continue }
            switch c.phase {
            case .reading:
                switch c.readAvailable(maximum: limits.maximumRequestBytes) {
                case .waiting: break
                case .requestComplete(let line): answer(c, line: line, handle, takeOver: takeOver)
                case .failed(let why): close(c, why)
                case .replySent: break
                }
            case .writing:
                progressReply(c)
            }
        }
    }

    /// Closes every connection whose current phase is past its deadline.
    func expire(now: UInt64 = MonotonicClock.nanoseconds()) {
        for c in connections.values where c.deadline <= now {
            close(c, c.phase == .reading ? "no complete request within the deadline" : "reply not taken within the deadline")
        }
    }

    /// How long the main loop may sleep before a deadline falls due (-1: none pending).
    func millisecondsToNextDeadline(now: UInt64 = MonotonicClock.nanoseconds()) -> Int32 {
        guard let next = connections.values.lazy.map(\.deadline).min() else { return -1 }
        return next <= now ? 0 : Int32(clamping: (next - now + 999_999) / 1_000_000)
    }

    private func answer(_ c: ControlConnection, line: [UInt8], _ handle: (ControlRequest) -> ControlResponse,
                        takeOver: (ControlRequest, UnixSocket) -> Bool) {
        let response: ControlResponse
        do {
            let request = try ControlCodec.decode(ControlRequest.self, from: line)
            if takeOver(request, c.socket) {
                clients.remove(c.rawValue)
                connections[c.rawValue] = nil
                return
            }
            response = handle(request)
        } catch {
            response = .failure("malformed request: \(error)")
        }
        guard let bytes = try? ControlCodec.encodeLine(response) else {
            close(c, "reply could not be encoded")
            return
        }
        // The deadline counts from when the reply is ready: handling may have taken a while.
        c.startReply(bytes, deadline: MonotonicClock.nanoseconds() &+ limits.replyDeadlineNanoseconds)
        progressReply(c)
    }

    private func progressReply(_ c: ControlConnection) {
        switch c.writeAvailable() {
        case .replySent:
            close(c, nil)
        case .waiting:
            // The rest goes out as the client reads; EPOLLOUT only, its input is of no interest now.
            do { try clients.modify(c.rawValue, events: .writable, token: UInt64(UInt32(bitPattern: c.rawValue))) } catch {
                close(c, "cannot watch for writability: \(error)")
            }
        case .failed(let why):
            close(c, why)
        case .requestComplete:
            break
        }
    }

    /// At the cap: drop the connection that has been waiting longest for its request.
    private func evictOldestReader() -> Bool {
        guard let oldest = connections.values.filter({ $0.phase == .reading }).min(by: { $0.serial < $1.serial }) else {
            return false
        }
        close(oldest, "connection cap (\(limits.maximumConnections)) reached; oldest idle connection dropped")
        return true
    }

    private func close(_ c: ControlConnection, _ why: String?) {
        clients.remove(c.rawValue)
        connections[c.rawValue] = nil
        c.socket.descriptor.close()
        if let why {
            dropped += 1
            logger.debug("control client dropped", metadata: ["reason": "\(why)"])
        }
    }

    func close() {
        for c in connections.values { close(c, nil) }
        listener.close()
    }
}
