#if canImport(Glibc)
import Glibc
#endif
import CoreMetrics
import LinuxIO
import Logging
import Prometheus

/// The Prometheus endpoint on the daemon's main loop, built like the control socket so that no
/// scraper can hold that loop (docs/never-blocking.md): a non-blocking listener and connections,
/// a deadline to send the request head and another to take the response, a head size cap, and
/// past `maximumConnections` the oldest connection still reading is dropped for the newcomer.
///
/// The daemon registers `listenerDescriptor` and `clientsDescriptor` (an epoll of the connections)
/// in its epoll, calls `acceptReady` / `serviceReady` on their events, and `expire` every turn
/// with a wait no longer than `millisecondsToNextDeadline`.
public final class MetricsServer {
    public struct Limits: Sendable {
        public var maximumConnections = 16
        public var requestDeadlineNanoseconds: UInt64 = 2_000_000_000
        public var responseDeadlineNanoseconds: UInt64 = 5_000_000_000
        /// Request line and headers together. A scraper sends a few hundred bytes.
        public var maximumRequestBytes = 8192
        public init() {}
    }

    public let listener: TCPListener
    public let limits: Limits
    private let logger: Logger
    private let clients: Epoll
    private var connections: [Int32: MetricsConnection] = [:]
    private var serial: UInt64 = 0
    private let factory: PrometheusMetricsFactory
    /// Requests answered, by status code, and connections dropped, by why: the endpoint's own
    /// figures, counted as they happen through swift-metrics into the same registry.
    private var answered: [Int: CoreMetrics.Counter] = [:]
    private var droppedBy: [String: CoreMetrics.Counter] = [:]
    /// Connections closed for a missed deadline, an oversize head or the cap (tests, logs).
    public private(set) var dropped = 0

    public init(listener: TCPListener, registry: PrometheusCollectorRegistry, logger: Logger,
                limits: Limits = Limits()) throws(Errno) {
        self.listener = listener
        clients = try Epoll(capacity: 32)
        self.limits = limits
        self.logger = logger
        factory = PrometheusMetricsFactory(registry: registry)
        for code in [200, 400, 404, 405, 431, 505] { _ = requests(code) }
        for reason in DropWhy.allCases { _ = drops(reason) }
    }

    public var listenerDescriptor: Int32 { listener.rawValue }
    public var clientsDescriptor: Int32 { clients.descriptor.rawValue }
    public var connectionCount: Int { connections.count }

    enum DropWhy: String, CaseIterable {
        case requestDeadline = "request-deadline"
        case responseDeadline = "response-deadline"
        case connectionCap = "connection-cap"
        case requestTooLarge = "request-too-large"
        case peerError = "peer-error"
    }

    /// Accepts every waiting connection, making room under the cap.
    public func acceptReady(now: UInt64 = MonotonicClock.nanoseconds()) {
        while true {
            let descriptor: OwnedFileDescriptor
            switch listener.accept() {
            case .ok(let d): descriptor = d
            case .wouldBlock, .closed: return
            case .error(let e) where e.code == ECONNABORTED: continue
            case .error(let e):
                logger.warning("metrics: accept failed: \(e)")
                return
            }
            if connections.count >= limits.maximumConnections && !evictOldestReader() {
                descriptor.close()
                drop(.connectionCap)
                continue
            }
            do {
                try clients.add(descriptor.rawValue, events: .readable, token: UInt64(UInt32(bitPattern: descriptor.rawValue)))
            } catch {
                logger.warning("metrics connection not served: \(error)")
                descriptor.close()
                continue
            }
            serial &+= 1
            connections[descriptor.rawValue] = MetricsConnection(descriptor: descriptor, serial: serial,
                                                                 deadline: now &+ limits.requestDeadlineNanoseconds)
        }
    }

    /// Reads request heads and writes responses on the connections that are ready; never waits.
    /// `render` makes the body of a 200 (called once per `GET /metrics`).
    public func serviceReady(now: UInt64 = MonotonicClock.nanoseconds(), render: () -> [UInt8]) {
        for event in clients.wait(timeoutMilliseconds: 0) {
            let fd = Int32(truncatingIfNeeded: event.token)
            guard let c = connections[fd] else { continue }
            switch c.phase {
            case .reading:
                switch c.readAvailable(maximum: limits.maximumRequestBytes) {
                case .waiting, .sent: break
                case .head(.request(let method, let target, let version)):
                    let status = HTTPExchange.status(method: method, target: target, version: version)
                    respond(c, status, body: status == .ok ? render() : [])
                case .head(_): respond(c, .badRequest)
                case .tooLarge:
                    drop(.requestTooLarge)
                    respond(c, .headerTooLarge)
                case .failed(let why): close(c, why.hasPrefix("closed") ? nil : DropWhy.peerError, why)
                }
            case .writing:
                progress(c)
            }
        }
    }

    /// Closes every connection whose current phase is past its deadline.
    public func expire(now: UInt64 = MonotonicClock.nanoseconds()) {
        for c in connections.values where c.deadline <= now {
            if c.phase == .reading {
                close(c, .requestDeadline, "no complete request within the deadline")
            } else {
                close(c, .responseDeadline, "response not taken within the deadline")
            }
        }
    }

    /// How long the main loop may sleep before a deadline falls due (-1: none pending).
    public func millisecondsToNextDeadline(now: UInt64 = MonotonicClock.nanoseconds()) -> Int32 {
        guard let next = connections.values.lazy.map(\.deadline).min() else { return -1 }
        return next <= now ? 0 : Int32(clamping: (next - now + 999_999) / 1_000_000)
    }

    private func respond(_ c: MetricsConnection, _ status: HTTPExchange.Status, body: [UInt8] = []) {
        requests(status.code).increment()
        // The deadline counts from when the response is ready: rendering may have taken a while.
        c.startResponse(HTTPExchange.response(status, body: body),
                        deadline: MonotonicClock.nanoseconds() &+ limits.responseDeadlineNanoseconds)
        progress(c)
    }

    private func progress(_ c: MetricsConnection) {
        switch c.writeAvailable() {
        case .sent:
            close(c, nil, nil)
        case .waiting:
            // The rest goes out as the client reads: EPOLLOUT only, its input is of no interest now.
            do { try clients.modify(c.rawValue, events: .writable, token: UInt64(UInt32(bitPattern: c.rawValue))) } catch {
                close(c, .peerError, "cannot watch for writability: \(error)")
            }
        case .failed(let why):
            close(c, .peerError, why)
        case .head, .tooLarge:
            break
        }
    }

    /// At the cap: drop the connection that has waited longest for its request.
    private func evictOldestReader() -> Bool {
        guard let oldest = connections.values.filter({ $0.phase == .reading }).min(by: { $0.serial < $1.serial }) else {
            return false
        }
        close(oldest, .connectionCap, "connection cap (\(limits.maximumConnections)) reached; oldest idle connection dropped")
        return true
    }

    private func close(_ c: MetricsConnection, _ why: DropWhy?, _ detail: String?) {
        clients.remove(c.rawValue)
        connections[c.rawValue] = nil
        c.descriptor.close()
        if let why { drop(why) }
        if let detail { logger.debug("metrics client dropped", metadata: ["reason": "\(detail)"]) }
    }

    private func drop(_ why: DropWhy) {
        dropped += 1
        drops(why).increment()
    }

    private func requests(_ code: Int) -> CoreMetrics.Counter {
        if let c = answered[code] { return c }
        let c = CoreMetrics.Counter(label: "switchyard_metrics_requests_total", dimensions: [("code", "\(code)")],
                                    factory: factory)
        answered[code] = c
        return c
    }

    private func drops(_ why: DropWhy) -> CoreMetrics.Counter {
        if let c = droppedBy[why.rawValue] { return c }
        let c = CoreMetrics.Counter(label: "switchyard_metrics_connections_dropped_total",
                                    dimensions: [("reason", why.rawValue)], factory: factory)
        droppedBy[why.rawValue] = c
        return c
    }

    public func close() {
        for c in connections.values { close(c, nil, nil) }
        listener.close()
    }
}
