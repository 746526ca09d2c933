#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Foundation
import LinuxIO
import Testing
import VhostTestFrontEnd

/// The real daemon killed (SIGKILL: no cleanup, its socket files left behind) and started again
/// while two front-ends keep running, in both socket modes: traffic must resume within 2 s
/// (docs/connections.md, "Restarts and churn", where the measured times are recorded).
@Suite(.serialized) struct DaemonRestartTests {
    @Test(arguments: ["server", "client"])
    func trafficResumesWithinTwoSecondsOfAKilledDaemonsRestart(mode: String) throws {
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sy-connect-rs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let pathA = scratch.appendingPathComponent("a.sock").path
        let pathB = scratch.appendingPathComponent("b.sock").path
        let yaml = """
            switch:
              socket-directory: \(scratch.path)
              control-socket: SOCKDIR/control.sock
            ports:
              - { name: a, type: vhost-user, socket: a.sock, mode: \(mode) }
              - { name: b, type: vhost-user, socket: b.sock, mode: \(mode) }
            """
        // Client mode: the front-ends listen (QEMU server=on) and outlive every daemon.
        let listenA = mode == "client" ? try UnixListener(path: pathA) : nil
        let listenB = mode == "client" ? try UnixListener(path: pathB) : nil
        defer { listenA?.close(); listenB?.close() }

        /// Server mode: QEMU with reconnect retries the path (here every 10 ms) until a switch
        /// listens; client mode: the front-end waits for the switch to connect.
        func frontEnd(_ path: String, _ listener: UnixListener?) throws -> TestFrontEnd {
            let fe: TestFrontEnd
            if let listener {
                fe = try TestFrontEnd.accept(on: listener)
            } else {
                let deadline = Date().addingTimeInterval(5)
                var connected: TestFrontEnd?
                while connected == nil {
                    connected = try? TestFrontEnd(connectingTo: path)
                    if connected == nil {
                        guard Date() < deadline else { throw DaemonTestError("cannot reconnect to \(path)") }
                        usleep(10_000)
                    }
                }
                fe = connected!
            }
            try fe.negotiate()
            try fe.start()
            try fe.sync()
            return fe
        }
        let frame: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0x00, 0x00, 0x61, 0x08, 0x00]
            + [UInt8](repeating: 0x5A, count: 50)

        let first = try DaemonProcess(yaml: yaml)
        var a = try frontEnd(pathA, listenA)
        var b = try frontEnd(pathB, listenB)
        #expect(try deliver(frame, from: a, to: b), "traffic before the restart")

        let killed = ContinuousClock.now
        first.signal(SIGKILL)
        #expect(a.waitForClose() && b.waitForClose(), "the front-ends see the switch die")
        _ = try first.stop()
        let second = try DaemonProcess(yaml: yaml)
        a = try frontEnd(pathA, listenA)
        b = try frontEnd(pathB, listenB)
        #expect(try deliver(frame, from: a, to: b), "traffic after the restart")
        let resumed = ContinuousClock.now - killed
        print("measured: daemon restart (\(mode) mode, SIGKILL then start): first frame \(resumed) after the kill")
        #expect(resumed < .seconds(2))
        a.disconnect()
        b.disconnect()
        #expect(try second.stop().status == 0)
    }
}
