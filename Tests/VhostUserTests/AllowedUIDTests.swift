#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxIO
import Logging
import TestSupport
import Testing
import VhostTestFrontEnd
@testable import VhostUser

/// allowed-uids, checked with SO_PEERCRED on accepted connections (server mode) and on the
/// listener we connect to (client mode); docs/connections.md. The unprivileged peer is a thread
/// of this process with effective uid nobody (65534), which is what SO_PEERCRED reports.
extension VhostUserTests {
@Suite struct AllowedUIDs {
    static let nobody: uid_t = 65534

    /// Socket file 0666 so that only allowed-uids stands between nobody and the port.
    private func serverEndpoint(allowing uids: [uid_t], log: LogCapture) throws
        -> (path: String, engine: TestEngine, endpoint: VhostUserEndpoint, delegate: RecordingDelegate) {
        let path = temporarySocketPath("connect-srv")
        let engine = try TestEngine()
        let delegate = RecordingDelegate()
        let device = VhostUserDevice(name: "acl", delegate: delegate, logger: log.logger)
        let access = SocketAccessPolicy(permissions: SocketPermissions(mode: 0o666), allowedUIDs: uids)
        let endpoint = VhostUserEndpoint(mode: .server(path: path), access: access, device: device,
                                         epoll: engine.epoll, token: 1)
        engine.endpoints[1] = endpoint
        try endpoint.start()
        return (path, engine, endpoint, delegate)
    }

    @Test func serverRefusesAFrontEndWhoseUIDIsNotAllowedAndCountsEachAttemptButLogsOnce() throws {
        let log = LogCapture()
        let (path, engine, endpoint, delegate) = try serverEndpoint(allowing: [0], log: log)
        defer { endpoint.stop() }

        for attempt in 1...3 {
            let socket = try onThread(asUID: Self.nobody, gid: 65534) { try UnixSocket.connect(to: path).get() }
            let intruder = try TestFrontEnd(socket: socket, pump: { engine.pump() })
            #expect(intruder.waitForClose(), "attempt \(attempt): closed before any message is read")
            #expect(endpoint.refusedConnections == attempt)
            #expect(!endpoint.isConnected)
        }
        #expect(!delegate.events.contains(.connected))
        #expect(log.warnings.filter { $0.contains("refused") }.count == 1, "\(log.warnings)")
        #expect(log.warnings.first?.contains("uid 65534") == true)

        // Positive control: root (in allowed-uids) connects and negotiates on the same listener.
        let frontEnd = try TestFrontEnd(connectingTo: path, pump: { engine.pump() })
        try frontEnd.negotiate()
        try frontEnd.start()
        #expect(delegate.runningRings == [0, 1])
        #expect(endpoint.refusedConnections == 3)
    }

    @Test func serverAdmitsAnUnprivilegedFrontEndWhoseUIDIsAllowed() throws {
        let log = LogCapture()
        let (path, engine, endpoint, delegate) = try serverEndpoint(allowing: [Self.nobody], log: log)
        defer { endpoint.stop() }
        let socket = try onThread(asUID: Self.nobody, gid: 65534) { try UnixSocket.connect(to: path).get() }
        let frontEnd = try TestFrontEnd(socket: socket, pump: { engine.pump() })
        try frontEnd.negotiate()
        try frontEnd.start()
        #expect(delegate.runningRings == [0, 1])
        #expect(endpoint.refusedConnections == 0)
        frontEnd.disconnect()
        engine.pump(times: 3)

        // Negative in the same setup: root is not in this list.
        let root = try TestFrontEnd(connectingTo: path, pump: { engine.pump() })
        #expect(root.waitForClose())
        #expect(endpoint.refusedConnections == 1)
    }

    @Test func clientRefusesAListenerRunByAUIDThatIsNotAllowed() throws {
        let log = LogCapture()
        let path = temporarySocketPath("connect-cli")
        let engine = try TestEngine()
        let delegate = RecordingDelegate()
        let device = VhostUserDevice(name: "acl-cli", delegate: delegate, logger: log.logger)
        let endpoint = VhostUserEndpoint(mode: .client(path: path, retryInterval: .milliseconds(20)),
                                         access: SocketAccessPolicy(allowedUIDs: [0]), device: device,
                                         epoll: engine.epoll, token: 1)
        engine.endpoints[1] = endpoint
        defer { endpoint.stop() }

        // Someone else got to the path first: a listener owned by nobody.
        let squatter = try onThread(asUID: Self.nobody, gid: 65534) {
            try UnixListener(path: path, permissions: SocketPermissions(mode: 0o666))
        }
        try endpoint.start()
        #expect(!endpoint.isConnected)
        #expect(endpoint.refusedConnections == 1)
        #expect(eventually { engine.pump(); return endpoint.refusedConnections >= 3 }, "each retry is refused")
        #expect(!endpoint.isConnected && !delegate.events.contains(.connected))
        #expect(log.warnings.filter { $0.contains("refused") }.count == 1)
        // The squatter got a connection that was closed before anything was sent.
        if case .ok(let s) = squatter.accept() {
            var byte: UInt8 = 0
            #expect(recv(s.rawValue, &byte, 1, 0) == 0)
        }
        squatter.close()

        // Positive control: the real front-end (root, allowed) listens on the path; we connect.
        let listener = try UnixListener(path: path)
        defer { listener.close() }
        let frontEnd = try TestFrontEnd.accept(on: listener, pump: { engine.pump() })
        #expect(endpoint.isConnected)
        try frontEnd.negotiate()
        try frontEnd.start()
        #expect(delegate.runningRings == [0, 1])
    }
}
}

/// Collects warning-and-above log lines of one device.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var warnings: [String] { lock.withLock { lines } }
    func append(_ line: String) { lock.withLock { lines.append(line) } }

    var logger: Logger {
        Logger(label: "capture") { _ in CaptureHandler(capture: self) }
    }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            if event.level >= .warning { capture.append("\(event.message)") }
        }
    }
}
