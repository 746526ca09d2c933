#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Foundation
import Testing
import VhostTestFrontEnd

/// Mirrors in the real daemon (docs/mirroring.md): a reload adds and removes one with every
/// front-end connected, and `yardctl mirrors` (the `mirrors` request) counts its copies.
@Suite(.serialized) struct DaemonMirrorTests {
    static func yaml(mirrored: Bool) -> String {
        """
        switch:
          socket-directory: SOCKDIR
          control-socket: SOCKDIR/control.sock
        ports:
          - { name: a, type: vhost-user, socket: a.sock, vlan: { access: 10 } }
          - { name: b, type: vhost-user, socket: b.sock, vlan: { access: 10 } }
          - { name: mon, type: vhost-user, socket: mon.sock, vlan: { access: 10 } }
        """ + (mirrored ? "\nmirrors:\n  - { name: span1, output: mon, source-ports: [a] }\n" : "\n")
    }

    private func connect(_ d: DaemonProcess, _ name: String) throws -> TestFrontEnd {
        let fe = try TestFrontEnd(connectingTo: d.directory.appendingPathComponent("\(name).sock").path)
        try fe.negotiate()
        try fe.start()
        try fe.sync()
        return fe
    }

    private func nothingArrives(_ frame: [UInt8], from sender: TestFrontEnd, at receiver: TestFrontEnd) throws -> Bool {
        usleep(100_000)
        _ = try receiver.receivedFrames()
        _ = sender.reclaimTransmitted()
        try sender.send(frame: frame)
        let until = Date().addingTimeInterval(0.3)
        while Date() < until {
            if try !receiver.receivedFrames().isEmpty { return false }
            usleep(2_000)
        }
        return true
    }

    private func mirrors(_ d: DaemonProcess) throws -> [MirrorStatus] {
        guard case .mirrors(let m) = try d.request(.mirrors) else { throw DaemonTestError("no mirrors reply") }
        return m
    }

    private func reload(_ d: DaemonProcess, mirrored: Bool) throws -> String {
        try d.write(yaml: Self.yaml(mirrored: mirrored))
        guard case .done(let summary) = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        return summary
    }

    @Test func aReloadAddsAndRemovesAMirrorWithEveryGuestStayingConnected() throws {
        let d = try DaemonProcess(yaml: Self.yaml(mirrored: false))
        let a = try connect(d, "a"), b = try connect(d, "b"), mon = try connect(d, "mon")
        func frame(from last: UInt8) -> [UInt8] {
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0x00, 0x00, last, 0x08, 0x00]
                + [UInt8](repeating: last, count: 50)
        }
        // Before: mon is an ordinary port, b's broadcasts reach it.
        #expect(try deliver(frame(from: 2), from: b, to: mon))
        #expect(try mirrors(d).isEmpty)

        let added = try reload(d, mirrored: true)
        #expect(added.contains("0 added, 0 removed, 0 changed") && added.contains("mirrors: span1"), "\(added)")
        // The same sessions: a's frames reach b and, copied, mon; b's no longer reach mon (control:
        // they still reach a).
        try a.sync(); try mon.sync()
        #expect(try deliver(frame(from: 1), from: a, to: b))
        #expect(try deliver(frame(from: 1), from: a, to: mon), "a's frames are copied to mon")
        #expect(try deliver(frame(from: 2), from: b, to: a))
        #expect(try nothingArrives(frame(from: 2), from: b, at: mon), "mon, the output, gets no floods")
        let counted = try #require(try mirrors(d).first)
        #expect(counted.name == "span1" && counted.output == "mon" && counted.active && counted.copied >= 1)

        let removed = try reload(d, mirrored: false)
        #expect(removed.contains("mirrors: none"), "\(removed)")
        #expect(try deliver(frame(from: 2), from: b, to: mon), "mon is an ordinary port again, same connection")
        #expect(try mirrors(d).isEmpty)
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports reply") }
        #expect(ports.allSatisfy { $0.state == "running" }, "\(ports.map { "\($0.name) \($0.state)" })")
        a.disconnect(); b.disconnect(); mon.disconnect()
        #expect(try d.stop().status == 0)
    }
}
