import Datapath
import Foundation
import Logging
import SwitchCore
import Testing
import VhostTestFrontEnd

/// An idle switch sleeps in epoll on the kick eventfds, and a guest's kick wakes it for the first
/// frame after a pause. Both are asserted on the loop's own counters (turns, sleeps), which do not
/// depend on how busy the machine is; wall-clock and CPU-time figures only get margins that hold on
/// a loaded two-core machine (docs/test-and-benchmark-method.md).
@Suite(.serialized) struct IdleTests {
    /// Milliseconds in a Duration, seconds part included.
    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
    }

    @Test func durationToMillisecondsKeepsTheSecondsPart() {
        #expect(Self.milliseconds(.milliseconds(1500)) == 1500)
        #expect(Self.milliseconds(.microseconds(250)) == 0.25)
    }

    /// Over 2 s with two connected, silent guests the loop turns only when something wakes it (the
    /// 1 s epoll timeout, housekeeping, our own counter reads): a few dozen turns, where a polling
    /// loop makes millions. The positive control is a polling engine in the same test: the same
    /// counter must show it spinning, or the bound below would prove nothing.
    @Test func anIdleEngineWithConnectedGuestsSleepsInsteadOfTurning() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let polling = try Engine(configuration: EngineConfiguration(idle: .poll), logger: logger)
        try polling.start()
        usleep(300_000)
        let spun = try polling.perform { $0.loopCounters }.get()
        polling.stop()
        #expect(spun.turns > 10_000, "a polling engine turned only \(spun.turns) times in 0.3 s")
        #expect(spun.sleeps == 0)

        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try h.connect("a")
        try h.connect("b")
        usleep(200_000)
        let before = try h.engine.perform { $0.loopCounters }.get()
        let engineCPU = try EngineThreadCPU(h.engine)
        let cpuBefore = try engineCPU.seconds()
        usleep(2_000_000)
        let cpuUsed = try engineCPU.seconds() - cpuBefore
        let after = try h.engine.perform { $0.loopCounters }.get()
        let turns = after.turns - before.turns, sleeps = after.sleeps - before.sleeps
        print("measured: idle engine: \(turns) turns, \(sleeps) sleeps, \(cpuUsed) CPU s in 2 s; polling engine: \(spun.turns) turns in 0.3 s")
        #expect(sleeps >= 1, "the idle engine never went to sleep")
        #expect(turns <= 1_000, "the idle engine turned \(turns) times in 2 s (\(sleeps) sleeps)")
        // CPU time only as a coarse second witness: 2 s is 200 ticks at 100 Hz, so 10 % is 20
        // ticks, far above tick rounding and far below the ~100 % a spinning loop takes.
        #expect(cpuUsed < 0.2, "idle engine used \(cpuUsed) CPU seconds in 2 s")
    }

    /// After each pause the engine must have slept (its sleep counter grew), and the frame must
    /// still arrive: woken by the guest's kick, not by the 1 s epoll timeout. 100 ms separates the
    /// two on a loaded two-core machine; a sub-millisecond median does not hold there.
    @Test func theFirstFrameAfterIdlingWakesTheEngineByItsKick() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        let a = try h.connect("a")
        let b = try h.connect("b")
        var latencies: [Double] = []
        for i in 0..<9 {
            let sleepsBefore = try h.engine.perform { $0.loopCounters.sleeps }.get()
            usleep(100_000)  // long enough for the engine to stop spinning and sleep in epoll
            let start = ContinuousClock.now
            try a.send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 64 + i))
            var got = 0
            // Poll gently: on two cores a spinning test would compete with the engine it measures.
            while got == 0 && ContinuousClock.now - start < .seconds(3) {
                got = try b.receivedFrames().count
                if got == 0 { usleep(50) }
            }
            latencies.append(Self.milliseconds(ContinuousClock.now - start))
            #expect(got == 1)
            let sleepsAfter = try h.engine.perform { $0.loopCounters.sleeps }.get()
            #expect(sleepsAfter > sleepsBefore, "frame \(i): the engine never slept before it")
        }
        let median = latencies.sorted()[latencies.count / 2]
        #expect(median < 100, "median first-frame latency \(median) ms (all: \(latencies))")
    }
}

struct SwitchHarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
