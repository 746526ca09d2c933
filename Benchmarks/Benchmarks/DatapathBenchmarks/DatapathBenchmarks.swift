import Benchmark
import DatapathWorkload

// The in-process datapath loop (see TwoPortDatapath): an engine turn forwards a burst of 32
// 64-byte frames A → B; the guests' ring work is included. Two views of it:
// * per turn: scaling factor .kilo, one sample = 1000 turns, metrics per turn (= per 32 frames);
// * per 1024 frames (32 turns), unscaled: the malloc count is exact, not rounded per turn, so the
//   committed threshold (0) also catches an allocation once every few hundred frames.

nonisolated(unsafe) var datapath: TwoPortDatapath?

/// The shared workload, set up and in steady state (page faults and the FDB refresh are not
/// per-frame costs); nil after reporting a set-up failure.
func steadyDatapath(_ benchmark: Benchmark) -> TwoPortDatapath? {
    if let workload = datapath { return workload }
    do {
        let workload = try TwoPortDatapath()
        for _ in 0..<2_000 { _ = workload.turn() }
        datapath = workload
        return workload
    } catch {
        benchmark.error("\(error)")
        return nil
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("datapath-turn-32x64B-A-to-B",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                   timeUnits: .nanoseconds, warmupIterations: 10, scalingFactor: .kilo,
                                   maxDuration: .seconds(3), maxIterations: 10_000,
                                   thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0, .p100: 0])])) { benchmark in
        guard let workload = steadyDatapath(benchmark) else { return }
        var moved = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            moved &+= workload.turn()
        }
        benchmark.stopMeasurement()
        if moved != 32 * benchmark.scaledIterations.count {
            benchmark.error("moved \(moved) frames in \(benchmark.scaledIterations.count) turns, expected full bursts")
        }
    }

    Benchmark("datapath-1024x64B-A-to-B",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], timeUnits: .microseconds,
                                   warmupIterations: 10, maxDuration: .seconds(2), maxIterations: 10_000,
                                   thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0, .p100: 0])])) { benchmark in
        guard let workload = steadyDatapath(benchmark) else { return }
        var moved = 0
        benchmark.startMeasurement()
        for _ in 0..<32 {
            moved &+= workload.turn()
        }
        benchmark.stopMeasurement()
        if moved != 1024 { benchmark.error("moved \(moved) frames, expected 1024") }
    }
}
