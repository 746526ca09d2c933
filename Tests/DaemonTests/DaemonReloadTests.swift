#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Foundation
import Testing
import VhostTestFrontEnd

/// Reloads of the real daemon with front-ends connected (docs/reload.md): a VLAN change is applied
/// to the running port, whose guest keeps its connection; static MACs from the file are installed
/// and follow the file across reloads.
@Suite(.serialized) struct DaemonReloadTests {
    static func yaml(aVLAN: UInt16, staticOn: String? = nil) -> String {
        func port(_ name: String, _ vlan: UInt16) -> String {
            var line = "  - { name: \(name), type: vhost-user, socket: \(name).sock, vlan: { access: \(vlan) }"
            if staticOn == name { line += ", static-macs: [{ mac: \"52:54:00:aa:00:01\" }]" }
            return line + " }"
        }
        return """
            switch:
              socket-directory: SOCKDIR
              control-socket: SOCKDIR/control.sock
            ports:
            \(port("a", aVLAN))
            \(port("b", 10))
            \(port("c", 20))
            """
    }

    private func connect(_ d: DaemonProcess, _ name: String) throws -> TestFrontEnd {
        let fe = try TestFrontEnd(connectingTo: d.directory.appendingPathComponent("\(name).sock").path)
        try fe.negotiate()
        try fe.start()
        try fe.sync()
        return fe
    }

    /// Sends `frame` from `sender` and reports whether `receiver` got nothing within 300 ms, the
    /// negative probe: the same send that `deliver` shows arriving elsewhere.
    private func nothingArrives(_ frame: [UInt8], from sender: TestFrontEnd, at receiver: TestFrontEnd) throws -> Bool {
        _ = sender.reclaimTransmitted()
        try sender.send(frame: frame)
        let until = Date().addingTimeInterval(0.3)
        while Date() < until {
            if try !receiver.receivedFrames().isEmpty { return false }
            usleep(2_000)
        }
        return true
    }

    private func port(_ d: DaemonProcess, _ name: String) throws -> PortStatus {
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports reply") }
        return try #require(ports.first { $0.name == name })
    }

    @Test func aVLANChangeByReloadKeepsTheGuestConnectedAndSwitchesItOnTheNewVLANOnly() throws {
        let d = try DaemonProcess(yaml: Self.yaml(aVLAN: 10))
        let a = try connect(d, "a"), b = try connect(d, "b"), c = try connect(d, "c")
        let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0x00, 0x00, 0x0A, 0x08, 0x00]
            + [UInt8](repeating: 0x5A, count: 50)
        // Before: VLAN 10 reaches b, not c.
        #expect(try deliver(broadcast, from: a, to: b), "a reaches b on VLAN 10 before the reload")
        #expect(try nothingArrives(broadcast, from: a, at: c), "a does not reach c (VLAN 20) before the reload")
        let before = try port(d, "a")
        #expect(before.state == "running" && before.vlanMode == "access 10")

        try d.write(yaml: Self.yaml(aVLAN: 20))
        guard case .done(let summary) = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        #expect(summary.contains("0 added, 0 removed, 1 changed (1 in place, 0 re-created), 2 unchanged"), "\(summary)")
        #expect(summary.contains("changed in place, connection kept: a (vlan"), "\(summary)")

        // The same front-end session, never closed: it answers, and its frames now go to VLAN 20.
        try a.sync()
        let after = try port(d, "a")
        #expect(after.state == "running" && after.vlanMode == "access 20")
        #expect(try deliver(broadcast, from: a, to: c), "the same connection reaches c on VLAN 20 after the reload")
        // Copies still in flight from before the reload are not the probe's.
        usleep(100_000)
        _ = try b.receivedFrames()
        #expect(try nothingArrives(broadcast, from: a, at: b), "and no longer b on VLAN 10")
        // The receive counters kept counting across the reload: the port was not re-created.
        #expect(after.counters.rxFrames >= before.counters.rxFrames)
        a.disconnect(); b.disconnect(); c.disconnect()
        #expect(try d.stop().status == 0)
    }

    /// The other side of the rule, and the control for the test above: a changed socket path
    /// re-creates the port, and its connected front-end sees the switch close the connection.
    @Test func aSocketChangeByReloadReCreatesThePortAndClosesItsConnection() throws {
        let d = try DaemonProcess(yaml: Self.yaml(aVLAN: 10))
        let a = try connect(d, "a")
        try d.write(yaml: Self.yaml(aVLAN: 10).replacingOccurrences(of: "socket: a.sock", with: "socket: a2.sock"))
        guard case .done(let summary) = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        #expect(summary.contains("1 changed (0 in place, 1 re-created)"), "\(summary)")
        #expect(summary.contains("re-created, guest reconnects: a (socket)"), "\(summary)")
        #expect(a.waitForClose(), "the old connection is closed")
        #expect(FileManager.default.fileExists(atPath: d.directory.appendingPathComponent("a2.sock").path))
        #expect(try d.stop().status == 0)
    }

    @Test func staticMACsFromTheFileAreInstalledMovedAndRemovedByReload() throws {
        let d = try DaemonProcess(yaml: Self.yaml(aVLAN: 10, staticOn: "a"))
        func statics() throws -> [String] {
            guard case .fdb(let table) = try d.request(.fdbShow(vlan: nil, port: nil)) else { throw DaemonTestError("no fdb") }
            return table.entries.filter(\.isStatic).map { "\($0.port) \($0.vlan) \($0.mac)" }
        }
        #expect(try statics() == ["a 10 52:54:00:aa:00:01"], "installed at start, in a's access VLAN")

        try d.write(yaml: Self.yaml(aVLAN: 10, staticOn: "c"))
        guard case .done(let moved) = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        #expect(try statics() == ["c 20 52:54:00:aa:00:01"], "moved to c, in c's access VLAN: \(moved)")

        // Deleted by hand, then put back by a reload of the same file.
        guard case .done = try d.request(.fdbDelete(vlan: 20, mac: "52:54:00:aa:00:01")) else { throw DaemonTestError("del failed") }
        #expect(try statics().isEmpty)
        guard case .done(let again) = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        #expect(try statics() == ["c 20 52:54:00:aa:00:01"], "\(again)")

        try d.write(yaml: Self.yaml(aVLAN: 10))
        guard case .done = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        #expect(try statics().isEmpty, "no longer in the file: removed")
        #expect(try d.stop().status == 0)
    }
}
