#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

extension VhostUserTests {
@Suite struct SocketModes {
    @Test func serverModeAcceptsAReconnectingFrontEnd() throws {
        let path = temporarySocketPath("server")
        let engine = try TestEngine()
        let delegate = RecordingDelegate()
        let device = VhostUserDevice(name: "srv", delegate: delegate)
        let endpoint = engine.add(.server(path: path), device: device)
        try endpoint.start()
        defer { endpoint.stop() }

        let first = try TestFrontEnd(connectingTo: path, pump: { engine.pump() })
        try first.negotiate()
        try first.start()
        #expect(delegate.runningRings == [0, 1])
        first.disconnect()
        engine.pump(times: 3)
        #expect(delegate.events.last == .disconnected)

        let second = try TestFrontEnd(connectingTo: path, pump: { engine.pump() })
        try second.negotiate()
        try second.start()
        #expect(delegate.runningRings == [0, 1])
        #expect(delegate.events.filter { $0 == .connected }.count == 2)
    }

    @Test func serverModeServesOneFrontEndAtATime() throws {
        let path = temporarySocketPath("one")
        let engine = try TestEngine()
        let device = VhostUserDevice(name: "one")
        let endpoint = engine.add(.server(path: path), device: device)
        try endpoint.start()
        defer { endpoint.stop() }
        let first = try TestFrontEnd(connectingTo: path, pump: { engine.pump() })
        try first.sync()
        var options = TestFrontEnd.Options()
        options.timeout = .milliseconds(200)
        let second = try TestFrontEnd(connectingTo: path, options: options, pump: { engine.pump() })
        #expect(throws: TestFrontEndError.timeout("a reply")) { try second.sync() }
        first.disconnect()
        second.options.timeout = .seconds(5)
        try second.sync()
    }

    @Test func clientModeRetriesUntilTheFrontEndListens() throws {
        let path = temporarySocketPath("client")
        let engine = try TestEngine()
        let delegate = RecordingDelegate()
        let device = VhostUserDevice(name: "cli", delegate: delegate)
        let endpoint = engine.add(.client(path: path, retryInterval: .milliseconds(50)), device: device)
        try endpoint.start()
        defer { endpoint.stop() }
        #expect(!endpoint.isConnected)
        #expect(endpoint.nextDeadline != nil, "a failed connect schedules a retry")

        let listener = try UnixListener(path: path)
        let frontEnd = try TestFrontEnd.accept(on: listener, pump: { engine.pump() })
        #expect(endpoint.isConnected)
        try frontEnd.negotiate()
        try frontEnd.start()
        #expect(delegate.runningRings == [0, 1])

        // QEMU restarts: the back-end reconnects by itself.
        frontEnd.disconnect()
        engine.pump(times: 2)
        #expect(!endpoint.isConnected && endpoint.nextDeadline != nil)
        let again = try TestFrontEnd.accept(on: listener, pump: { engine.pump() })
        try again.sync()
        #expect(endpoint.isConnected)
    }
}
}
