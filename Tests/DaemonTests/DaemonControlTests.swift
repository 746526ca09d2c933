import ControlClient
import ControlProtocol
import Foundation
import Testing

let twoPorts = """
switch:
  socket-directory: SOCKDIR
  control-socket: SOCKDIR/control.sock
ports:
  - name: vm1
    type: vhost-user
    socket: vm1.sock
    vlan: { access: 10 }
  - name: vm2
    type: vhost-user
    socket: vm2.sock
    vlan: { trunk: { allowed: [10, 20], native: 1 } }
"""

@Suite(.serialized) struct DaemonControlTests {
    @Test func listsConfiguredPortsAndAnEmptyFDB() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("not a ports reply") }
        #expect(ports.map(\.name) == ["vm1", "vm2"])
        #expect(ports[0].vlanMode == "access 10")
        #expect(ports[1].vlanMode == "trunk 1,10,20 native 1")
        #expect(ports.allSatisfy { $0.state == "listening" && $0.type == "vhost-user" })
        #expect(FileManager.default.fileExists(atPath: d.directory.appendingPathComponent("vm1.sock").path))
        guard case .fdb(let table) = try d.request(.fdbShow(vlan: nil, port: nil)) else { throw DaemonTestError("not an fdb reply") }
        #expect(table.entries.isEmpty && table.total == 0 && table.capacity == 8192)
        #expect(try d.stop().status == 0)
    }

    @Test func statsReportTheForwardingLoopLikePMDStats() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        // No guests: the loop spins its idle turns, then sleeps on the kick eventfds.
        var loop = DatapathStatistics(turns: 0, busyTurns: 0, frames: 0, bursts: 0, backloggedBursts: 0,
                                      burstLimit: 0, sleeps: 0, spinWindowNanoseconds: 0)
        for _ in 0..<50 where loop.sleeps == 0 {
            guard case .stats(let s) = try d.request(.stats) else { throw DaemonTestError("not a stats reply") }
            loop = s.datapath
            usleep(20_000)
        }
        #expect(loop.sleeps >= 1 && loop.busyTurns == 0 && loop.frames == 0)
        #expect(loop.spinWindowNanoseconds == 0, "no traffic: the spin window never grew")
        #expect(loop.burstLimit == 32)
        let line = Rendering.datapath(DatapathStatistics(turns: 1000, busyTurns: 250, frames: 8000, bursts: 300,
                                                         backloggedBursts: 30, burstLimit: 32, sleeps: 2,
                                                         spinWindowNanoseconds: 12_500))
        #expect(line == "datapath:  1000 turns, 250 busy (25.0 %), 32.0 frames per busy turn, "
            + "300 bursts of up to 32 (10.0 % left a backlog), 2 sleeps after spinning 12.5 µs")
        #expect(Rendering.datapath(loop).hasPrefix("datapath:  \(loop.turns) turns, 0 busy (0.0 %), 0.0 frames"))
        try d.stop()
    }

    @Test func staticEntriesCanBeAddedShownFilteredAndDeleted() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        // Each add must answer `.done`: a failure of any text fails the test.
        let first = try d.request(.fdbAdd(port: "vm1", vlan: 10, mac: "52:54:00:aa:bb:01"))
        guard case .done = first else { throw DaemonTestError("adding to vm1 failed: \(first)") }
        let second = try d.request(.fdbAdd(port: "vm2", vlan: 20, mac: "52:54:00:aa:bb:02"))
        guard case .done = second else { throw DaemonTestError("adding to vm2 failed: \(second)") }
        guard case .fdb(let all) = try d.request(.fdbShow(vlan: nil, port: nil)) else { throw DaemonTestError("no fdb") }
        #expect(all.entries.map(\.mac) == ["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"])
        #expect(all.entries.allSatisfy(\.isStatic) && all.staticCount == 2)
        guard case .fdb(let only20) = try d.request(.fdbShow(vlan: 20, port: nil)) else { throw DaemonTestError("no fdb") }
        #expect(only20.entries.map(\.port) == ["vm2"])
        guard case .fdb(let onlyVm1) = try d.request(.fdbShow(vlan: nil, port: "vm1")) else { throw DaemonTestError("no fdb") }
        #expect(onlyVm1.entries.map(\.vlan) == [10])
        guard case .done = try d.request(.fdbDelete(vlan: 10, mac: "52:54:00:aa:bb:01")) else { throw DaemonTestError("delete failed") }
        guard case .failure(let why) = try d.request(.fdbAdd(port: "nope", vlan: 10, mac: "52:54:00:aa:bb:03")) else {
            throw DaemonTestError("adding to an unknown port must fail")
        }
        #expect(why.contains("nope"))
        guard case .fdbStats(let stats) = try d.request(.fdbStats) else { throw DaemonTestError("no stats") }
        #expect(stats.total == 1 && stats.agingSeconds == 300)
        try d.stop()
    }

    @Test func reloadAddsRemovesAndChangesPortsLeavingOthersAlone() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let added = try d.request(.fdbAdd(port: "vm1", vlan: 10, mac: "52:54:00:aa:bb:01"))
        guard case .done = added else { throw DaemonTestError("static entry on vm1 not added: \(added)") }
        try d.write(yaml: """
        switch:
          socket-directory: SOCKDIR
          control-socket: SOCKDIR/control.sock
        ports:
          - name: vm1
            type: vhost-user
            socket: vm1.sock
            vlan: { access: 10 }
          - name: vm2
            type: vhost-user
            socket: vm2.sock
            vlan: { access: 30 }
          - name: vm3
            type: vhost-user
            socket: vm3.sock
        """)
        guard case .done(let summary) = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        #expect(summary.contains("1 added, 0 removed, 1 changed (1 in place, 0 re-created), 1 unchanged"), "\(summary)")
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports") }
        #expect(Set(ports.map(\.name)) == ["vm1", "vm2", "vm3"])
        #expect(ports.first { $0.name == "vm2" }?.vlanMode == "access 30")
        // vm1 was unchanged: its static entry survived.
        guard case .fdb(let table) = try d.request(.fdbShow(vlan: nil, port: "vm1")) else { throw DaemonTestError("no fdb") }
        #expect(table.entries.count == 1)
        #expect(FileManager.default.fileExists(atPath: d.directory.appendingPathComponent("vm3.sock").path))
        try d.stop()
    }

    /// The positive control first: a SIGHUP with a good file must change the ports (so the signal
    /// is handled at all); only then does "a broken file changes nothing" mean anything.
    @Test func sighupReloadsAGoodFileAndKeepsThePreviousConfigOnABrokenOne() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        try d.write(yaml: twoPorts + "\n  - name: vm3\n    type: vhost-user\n    socket: vm3.sock\n")
        d.signal(SIGHUP)
        func portNames() throws -> [String] {
            guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports") }
            return ports.map(\.name)
        }
        try waitFor("vm3 added by SIGHUP", timeout: 10) { (try? portNames()) == ["vm1", "vm2", "vm3"] }
        try d.write(yaml: "ports:\n  - name: vm1\n    type: vhost-user\n    socket: a.sock\n    vlan: { access: 5000 }\n")
        d.signal(SIGHUP)
        usleep(300_000)
        #expect(try portNames() == ["vm1", "vm2", "vm3"])
        guard case .failure(let why) = try d.request(.reload) else { throw DaemonTestError("reload must fail") }
        #expect(why.contains("switchyard.yaml:5:") && why.contains("5000"))
        #expect(try portNames() == ["vm1", "vm2", "vm3"])
        let (status, log) = try d.stop()
        #expect(status == 0)
        // Both signals were taken: two SIGHUP reloads in the log, and the second refused (the
        // SIGHUP path's own wording, not the control reply's).
        #expect(log.components(separatedBy: "SIGHUP: reloading").count - 1 == 2, "log: \(log)")
        #expect(log.contains("reload refused, still running the previous config"))
    }

    @Test func sigtermRemovesEverySocketAndExitsZero() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let (status, log) = try d.stop()
        #expect(status == 0)
        #expect(log.contains("stopping on SIGTERM"))
        let left = try FileManager.default.contentsOfDirectory(atPath: d.directory.path).filter { $0.hasSuffix(".sock") }
        #expect(left.isEmpty, "sockets left behind: \(left)")
    }

    @Test func jsonLogFormatWritesOneObjectPerLine() throws {
        let d = try DaemonProcess(yaml: twoPorts, extraArguments: ["--log-format", "json"])
        let (_, log) = try d.stop()
        let lines = log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["msg"] != nil, "not a JSON log line: \(line)")
        }
    }
}

@Suite(.serialized) struct DaemonUplinkTests {
    @Test func anUplinkOnAMissingInterfaceIsReportedAndTheRestOfTheSwitchRuns() throws {
        let d = try DaemonProcess(yaml: twoPorts + """

          - name: up0
            type: uplink
            interface: sy-missing0
            vlan: { trunk: { allowed: [10, 20], native: 1 } }
        """)
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports") }
        let up = try #require(ports.first { $0.name == "up0" })
        #expect(up.type == "uplink" && up.state == "no-such-interface")
        #expect(up.reason?.contains("sy-missing0") == true, "reason: \(up.reason ?? "nil")")
        #expect(ports.filter { $0.type == "vhost-user" }.allSatisfy { $0.state == "listening" })
        #expect(try d.stop().status == 0)
    }
}
