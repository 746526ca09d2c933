import LinuxIO
import Logging

/// One port's vhost-user socket, driven by the engine's epoll: it listens (server mode) or
/// connects and keeps reconnecting (client mode), reads messages without ever blocking, and feeds
/// them to its `VhostUserDevice`. Exactly one descriptor of it is registered in the epoll at a
/// time (the listener while waiting, the connection while connected), always under `token`.
///
/// Engine contract: on an epoll event carrying `token`, call `handle(events:)`; include
/// `nextDeadline` in the epoll timeout and call `handleTimers(now:)` when it has passed.
public final class VhostUserEndpoint {
    public enum Mode: Equatable, Sendable {
        /// We listen on `path`; one front-end at a time (QEMU `-chardev socket,path=…,reconnect=1`
        /// comes back here after either side restarts).
        case server(path: String)
        /// We connect to the front-end's socket (QEMU `server=on`) and retry every `retryInterval`
        /// after a failure or a disconnect, forever.
        case client(path: String, retryInterval: Duration = .seconds(1))
        /// Connections are handed in with `adopt(_:)` (socketpairs, tests); no reconnect.
        case standalone
    }

    public let mode: Mode
    public let access: SocketAccessPolicy
    public let device: VhostUserDevice
    public let token: UInt64
    /// Messages handled per wakeup before yielding back to the engine (the epoll is level-triggered,
    /// so the rest is picked up on the next turn).
    public var maxMessagesPerWakeup = 64

    private let epoll: Epoll
    private var listener: UnixListener?
    private var connection: UnixSocket?
    private var assembler = MessageAssembler()
    public private(set) var nextDeadline: ContinuousClock.Instant?
    private var failedAttempts = 0
    /// Connections closed because the peer's uid is not in `access.allowedUIDs`.
    public private(set) var refusedConnections = 0
    /// The first refusal of an incident is logged; the rest only counted, so a peer retrying in
    /// a loop cannot flood the log. An admitted peer starts a new incident.
    private var refusalLogged = false

    public init(mode: Mode, access: SocketAccessPolicy = SocketAccessPolicy(), device: VhostUserDevice,
                epoll: Epoll, token: UInt64) {
        self.mode = mode
        self.access = access
        self.device = device
        self.epoll = epoll
        self.token = token
    }

    deinit { stop() }

    public var isConnected: Bool { connection != nil }
    private var logger: Logger { device.logger }

    /// Server: binds and listens (a bind failure is a configuration error and throws).
    /// Client: tries to connect now; failures are retried from `handleTimers`.
    public func start(now: ContinuousClock.Instant = .now) throws(Errno) {
        switch mode {
        case .server(let path):
            let l = try UnixListener(path: path, permissions: access.permissions)
            try epoll.add(l.rawValue, events: .readable, token: token)
            listener = l
            logger.info("listening for a vhost-user front-end", metadata: ["path": "\(path)"])
        case .client:
            attemptConnect(now: now)
        case .standalone:
            break
        }
    }

    /// Takes over an already connected socket (made non-blocking here).
    public func adopt(_ socket: UnixSocket) {
        if connection != nil { drop(reason: "replaced by a new connection", now: .now) }
        if let l = listener { epoll.remove(l.rawValue) }
        install(socket, description: "adopted connection")
    }

    /// Closes the connection and the listener (removing its path) and stops retrying.
    public func stop() {
        if let c = connection {
            epoll.remove(c.rawValue)
            connection = nil
            assembler.reset()
            device.connectionClosed(byFrontEnd: false)
        }
        if let l = listener {
            epoll.remove(l.rawValue)
            l.close()
            listener = nil
        }
        nextDeadline = nil
    }

    public func handle(events: Epoll.Events, now: ContinuousClock.Instant = .now) {
        guard let socket = connection else {
            if listener != nil { acceptPending() }
            return
        }
        for _ in 0..<maxMessagesPerWakeup {
            switch assembler.readNext(from: socket) {
            case .message(let message):
                switch device.handle(message) {
                case .none:
                    continue
                case .reply(let bytes):
                    // Never wait for a front-end to read: a reply that does not fit in the
                    // socket buffer now means it stopped reading (docs/never-blocking.md).
                    if case .ok = bytes.withUnsafeBytes({ socket.send($0, fds: [], stallTimeoutMs: 0) }) { continue }
                    drop(reason: "reply could not be sent", now: now)
                    return
                case .close(let reason):
                    logger.error("closing vhost-user connection: \(reason)")
                    drop(reason: "protocol error", now: now)
                    return
                }
            case .wouldBlock:
                return
            case .closed:
                drop(reason: "front-end closed the connection", now: now)
                return
            case .failed(let error):
                logger.error("closing vhost-user connection: malformed message: \(error)")
                drop(reason: "malformed message", now: now)
                return
            }
        }
    }

    /// Drops the connected front-end (a failed port); a server keeps listening, a client retries.
    public func disconnect(reason: String, now: ContinuousClock.Instant = .now) {
        drop(reason: reason, now: now)
    }

    public func handleTimers(now: ContinuousClock.Instant = .now) {
        guard let deadline = nextDeadline, now >= deadline else { return }
        nextDeadline = nil
        attemptConnect(now: now)
    }

    private func acceptPending() {
        guard let l = listener else { return }
        switch l.accept() {
        case .ok(let socket):
            guard admitted(socket, role: "front-end") else { return }
            install(socket, description: "front-end connected")
        case .wouldBlock, .closed:
            break
        case .error(let e):
            logger.warning("accept failed: \(e)")
        }
    }

    private func attemptConnect(now: ContinuousClock.Instant) {
        guard case .client(let path, let interval) = mode, connection == nil else { return }
        switch UnixSocket.connectWithoutBlocking(to: path) {
        case .success(let socket):
            guard admitted(socket, role: "listener") else {
                socket.descriptor.close()
                nextDeadline = now + interval
                return
            }
            failedAttempts = 0
            install(socket, description: "connected to front-end")
        case .failure(let e):
            // One line for the first failure, then quiet retries: the front-end may be down for hours.
            if failedAttempts == 0 {
                logger.info("cannot connect to front-end (\(e)); retrying every \(interval)", metadata: ["path": "\(path)"])
            } else {
                logger.trace("connect retry failed: \(e)")
            }
            failedAttempts += 1
            nextDeadline = now + interval
        }
    }

    /// SO_PEERCRED against `access.allowedUIDs`; a refused socket is closed here (its peer sees
    /// EOF before any message: nothing of the guest was shared).
    private func admitted(_ socket: UnixSocket, role: String) -> Bool {
        guard access.allowedUIDs != nil else { return true }
        switch socket.peerCredentials() {
        case .success(let peer) where access.admits(peer):
            refusalLogged = false
            return true
        case .success(let peer):
            refuse(socket, "\(role) runs as \(peer), which is not in allowed-uids")
        case .failure(let e):
            refuse(socket, "cannot read the \(role)'s credentials: \(e)")
        }
        return false
    }

    private func refuse(_ socket: UnixSocket, _ why: String) {
        socket.descriptor.close()
        refusedConnections += 1
        if !refusalLogged {
            refusalLogged = true
            logger.warning("refused a vhost-user connection: \(why) (further refusals are only counted)")
        } else {
            logger.debug("refused a vhost-user connection: \(why)")
        }
    }

    private func install(_ socket: UnixSocket, description: String) {
        do {
            try socket.descriptor.setNonBlocking()
            try epoll.add(socket.rawValue, events: .readable, token: token)
        } catch {
            logger.warning("cannot watch connection: \(error)")
            if let l = listener { try? epoll.add(l.rawValue, events: .readable, token: token) }
            return
        }
        if let l = listener { epoll.remove(l.rawValue) }
        connection = socket
        assembler.reset()
        logger.info("\(description)")
        device.connectionOpened(frontEnd: PackedRingJournal.FrontEnd(peerOf: socket))
    }

    private func drop(reason: String, now: ContinuousClock.Instant) {
        guard let socket = connection else { return }
        epoll.remove(socket.rawValue)
        connection = nil
        assembler.reset()
        device.connectionClosed()
        socket.descriptor.close()
        logger.info("front-end disconnected: \(reason)")
        switch mode {
        case .server:
            // Accept the next front-end (a restarted QEMU reconnects to the same path).
            if let l = listener {
                do { try epoll.add(l.rawValue, events: .readable, token: token) } catch {
                    logger.error("cannot watch listener again: \(error)")
                }
            }
        case .client(_, let interval):
            nextDeadline = now + interval
        case .standalone:
            break
        }
    }
}
