import Datapath
import Foundation
import SwitchCore
import Testing
import VhostTestFrontEnd

/// An idle switch sleeps in epoll on the kick eventfds, and wakes fast enough that the first
/// frame after a pause is still forwarded within a millisecond.
@Suite(.serialized) struct IdleTests {
    /// CPU seconds (user + system) of this process's thread named `name`, from /proc.
    func threadCPUSeconds(named name: String) throws -> Double {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        for tid in tasks {
            let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
            guard comm.trimmingCharacters(in: .whitespacesAndNewlines) == name else { continue }
            let stat = try String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8)
            // Fields after the ")" of the command name: state is field 3; utime 14, stime 15.
            let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
            let ticks = try #require(Double(fields[11])) + (try #require(Double(fields[12])))
            return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        throw SwitchHarnessError("no thread named \(name)")
    }

    @Test func anIdleEngineWithConnectedGuestsUsesUnderOnePercentOfACore() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try h.connect("a")
        try h.connect("b")
        usleep(200_000)
        let before = try threadCPUSeconds(named: "switchyard-dp")
        usleep(2_000_000)
        let used = try threadCPUSeconds(named: "switchyard-dp") - before
        #expect(used / 2.0 < 0.01, "idle engine used \(used) CPU seconds in 2 s")
    }

    @Test func theFirstFrameAfterIdlingIsForwardedWithinAMillisecond() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        let a = try h.connect("a")
        let b = try h.connect("b")
        var latencies: [Double] = []
        for i in 0..<9 {
            usleep(100_000)  // long enough for the engine to stop spinning and sleep in epoll
            let start = ContinuousClock.now
            try a.send(frame: Frames.make(to: Frames.broadcast, from: Frames.mac(1), length: 64 + i))
            var got = 0
            // Poll gently: on two cores a spinning test would compete with the engine it measures.
            while got == 0 && ContinuousClock.now - start < .seconds(1) {
                got = try b.receivedFrames().count
                if got == 0 { usleep(50) }
            }
            #expect(got == 1)
            latencies.append(Double((ContinuousClock.now - start).components.attoseconds) / 1e15)
        }
        let median = latencies.sorted()[latencies.count / 2]
        #expect(median < 1.0, "median first-frame latency \(median) ms (all: \(latencies))")
    }
}

struct SwitchHarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
