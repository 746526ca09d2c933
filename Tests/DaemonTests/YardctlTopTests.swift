#if canImport(Glibc)
import Glibc
#endif
import ControlClient
import ControlProtocol
import Foundation
import Testing
import VhostTestFrontEnd

let threeGuests = """
switch:
  socket-directory: SOCKDIR
  control-socket: SOCKDIR/control.sock
ports:
  - { name: a, type: vhost-user, socket: a.sock, vlan: { access: 10 } }
  - { name: b, type: vhost-user, socket: b.sock, vlan: { access: 10 } }
  - { name: c, type: vhost-user, socket: c.sock, vlan: { access: 10 } }
"""

/// `yardctl top` against the real daemon while guest a sends unicast to guest b and guest c,
/// connected on the same VLAN, gets nothing (docs/yardctl.md, "top").
@Suite(.serialized) struct YardctlTopTests {
    /// Runs `yardctl ARGS` to completion while a sends to b about every half millisecond; with
    /// `tagging`, a also sends a VLAN-tagged frame each time, which its access port drops
    /// (`vlan-tagged-on-access`).
    private func whileTrafficFlows(_ d: DaemonProcess, _ arguments: [String], tagging: Bool = false) throws -> YardctlRun {
        let a = try d.connectGuest("a")
        let b = try d.connectGuest("b")
        let c = try d.connectGuest("c")
        defer { a.disconnect(); b.disconnect(); c.disconnect() }
        // b speaks first, so the switch knows where b is and a's frames are unicast to b alone.
        let toB = YardctlFrames.make(to: YardctlFrames.mac(2), from: YardctlFrames.mac(1))
        let tagged = YardctlFrames.make(to: YardctlFrames.mac(2), from: YardctlFrames.mac(1), vlan: 20)
        #expect(try deliver(YardctlFrames.make(to: YardctlFrames.broadcast, from: YardctlFrames.mac(2)), from: b, to: a))
        usleep(100_000)   // the flood's last copies reach c
        _ = try c.receivedFrames()

        let process = Process()
        process.executableURL = try DaemonProcess.executable("yardctl")
        process.arguments = arguments + ["--socket", d.controlSocket]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var atC = 0
        while process.isRunning && Date() < deadline {
            // A full TX ring (the engine paused) only slows the sender; the rates show it.
            _ = try? a.send(frame: toB)
            if tagging { _ = try? a.send(frame: tagged) }
            _ = try b.receivedFrames()
            atC += try c.receivedFrames().count
            usleep(500)
        }
        #expect(atC == 0, "c got \(atC) of a's unicast frames to b")
        if process.isRunning { process.terminate() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return YardctlRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                          stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func topThroughAPipePrintsPlainFramesWithTheSendersAndReceiversRates() throws {
        let d = try DaemonProcess(yaml: threeGuests)
        let r = try whileTrafficFlows(d, ["top", "-n", "2", "-d", "0.5"])
        #expect(r.status == 0, "\(r.output)")
        print("measured: yardctl top -n 2 -d 0.5 | cat, while a sends to b:\n\(r.stdout)")
        #expect(!r.stdout.contains("\u{1B}"), "no escape codes into a pipe")
        let frames = r.stdout.components(separatedBy: "switchyard: up ").dropFirst()
        #expect(frames.count == 2, "\(r.stdout)")
        for frame in frames {
            let rows = frame.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(rows.dropFirst().first == ["port", "state", "rx", "frames/s", "rx", "bits/s", "tx", "frames/s", "tx", "bits/s", "drops/s"])
            let a = try #require(rows.first { $0.first == "a" })
            let b = try #require(rows.first { $0.first == "b" })
            let c = try #require(rows.first { $0.first == "c" })
            // Columns: name, state, rx frames/s, rx bits/s, tx frames/s, tx bits/s, drops/s.
            #expect((Int(a[2]) ?? 0) > 50, "a's guest sends: \(a)")
            #expect((Int(b[4]) ?? 0) > 50, "b's guest receives: \(b)")
            #expect(c[2] == "0" && c[4] == "0", "c sees nothing: \(c)")
            #expect(frame.contains("drops/s: none"), "\(frame)")
        }
        try d.stop()
    }

    @Test func topAsJSONLinesCarriesRatesThatMatchTheCounters() throws {
        let d = try DaemonProcess(yaml: threeGuests)
        guard case .ports(let before) = try d.request(.ports) else { throw DaemonTestError("no ports") }
        let r = try whileTrafficFlows(d, ["--json", "top", "-n", "2", "-d", "0.5"], tagging: true)
        guard case .ports(let after) = try d.request(.ports) else { throw DaemonTestError("no ports") }
        #expect(r.status == 0, "\(r.output)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(r.stdout)")
        for line in lines {
            let object = try jsonObject(String(line))
            #expect(object["version"] as? Int == 1)
            let topObject = try #require(object["top"])
            let top = try JSONDecoder().decode(TopFrame.self, from: JSONSerialization.data(withJSONObject: topObject))
            #expect(top.intervalSeconds > 0.3 && top.intervalSeconds < 2, "interval \(top.intervalSeconds)")
            let rates = Dictionary(uniqueKeysWithValues: top.ports.map { ($0.name, $0.rates) })
            let a = try #require(rates["a"] ?? nil)
            let b = try #require(rates["b"] ?? nil)
            let c = try #require(rates["c"] ?? nil)
            #expect(a.rxFramesPerSecond > 50 && b.txFramesPerSecond > 50, "\(a) \(b)")
            // b receives only the untagged 64-byte frames (14 + 50): 8 × 64 bits each.
            #expect(abs(b.txBitsPerSecond - b.txFramesPerSecond * 512) < 1, "\(b)")
            // Every tagged frame from a is dropped on a, under its reason; b and c drop nothing.
            #expect((a.dropsPerSecond["vlan-tagged-on-access"] ?? 0) > 50 && a.dropsPerSecond.count == 1, "\(a)")
            #expect(b.dropsPerSecond.isEmpty && c.dropsPerSecond.isEmpty, "\(b) \(c)")
            #expect(c.rxFramesPerSecond == 0 && c.txFramesPerSecond == 0, "\(c)")
            // The rate cannot exceed what the counters moved over the whole run.
            let moved = Double((after.first { $0.name == "a" }?.counters.rxFrames ?? 0) - (before.first { $0.name == "a" }?.counters.rxFrames ?? 0))
            #expect(a.rxFramesPerSecond * top.intervalSeconds <= moved + 1)
        }
        try d.stop()
    }

    /// The arithmetic alone, on made-up samples: rates, drops by reason, a port that restarted.
    @Test func ratesAreCounterDifferencesOverTheEngineClock() throws {
        func port(_ name: String, rx: UInt64, drops: [String: UInt64], at nanoseconds: UInt64) -> PortStatus {
            var p = PortStatus(name: name, type: "vhost-user", state: "running", vlanMode: "access 10", endpoint: "x",
                               macCount: 0, queues: 1, mtu: 1500,
                               counters: TrafficCounters(rxFrames: rx, rxBytes: rx * 100, drops: drops))
            p.monotonicNanoseconds = nanoseconds
            return p
        }
        let loop = DatapathStatistics(turns: 1000, busyTurns: 100, frames: 0, bursts: 0, backloggedBursts: 0,
                                      burstLimit: 32, sleeps: 0, spinWindowNanoseconds: 0)
        var later = loop
        later.turns = 2000
        later.busyTurns = 350
        let fdb = FDBSummary(total: 2, learned: 2, staticCount: 0, capacity: 8192, agingSeconds: 300,
                             learnedEvents: 2, moves: 0, expired: 0, evicted: 0)
        func stats(_ l: DatapathStatistics) -> SwitchStatistics {
            SwitchStatistics(uptimeSeconds: 9, ports: 2, totals: TrafficCounters(), fdb: fdb, datapath: l)
        }
        // The client's clock says 5 s passed, the engine's 2 s: the engine's wins.
        let first = TopSample(ports: [port("a", rx: 1000, drops: ["rx-ring-full": 10], at: 1_000_000_000),
                                      port("b", rx: 500, drops: [:], at: 1_000_000_000)],
                              stats: stats(loop), clientNanoseconds: 0)
        let second = TopSample(ports: [port("a", rx: 3000, drops: ["rx-ring-full": 30, "mac-limit": 4], at: 3_000_000_000),
                                       port("b", rx: 20, drops: [:], at: 3_000_000_000),
                                       port("new", rx: 7, drops: [:], at: 3_000_000_000)],
                               stats: stats(later), clientNanoseconds: 5_000_000_000)
        let frame = TopFrame(from: first, to: second)
        #expect(frame.intervalSeconds == 2)
        #expect(frame.datapathBusyPercent == 25)
        let a = try #require(frame.ports[0].rates)
        #expect(a.rxFramesPerSecond == 1000 && a.rxBitsPerSecond == 800_000)
        #expect(a.dropsPerSecond == ["rx-ring-full": 10, "mac-limit": 2])
        #expect(frame.ports[1].rates == nil, "b's counters went back: re-added, no rate")
        #expect(frame.ports[2].rates == nil, "new port: no previous reading")
        let text = Rendering.top(frame)
        #expect(text.hasPrefix("switchyard: up 9 s, 3 ports, fdb 2 of 8192, datapath busy 25.0 %, rates over 2.00 s\n"))
        #expect(text.contains("drops/s: a mac-limit 2, rx-ring-full 10"))
        #expect(text.split(separator: "\n")[2].split(separator: " ") == ["a", "running", "1000", "800k", "0", "0", "12"])
        #expect(text.split(separator: "\n")[3].split(separator: " ") == ["b", "running", "-", "-", "-", "-", "-"])
    }
}
