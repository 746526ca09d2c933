import Benchmark
import DatapathWorkload

// The in-process datapath loop (see TwoPortDatapath): one iteration = one engine turn that
// forwards a burst of 32 64-byte frames A → B, with both guests' ring work included.
// Scaling factor .kilo: one sample = 1000 turns, so metrics are per turn (= per 32 frames);
// mallocs per 1000 frames = mallocs per turn × 1000 / 32, and the committed threshold is 0.

nonisolated(unsafe) var datapath: TwoPortDatapath?

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 10_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])]
    )

    Benchmark("datapath turn: 32 × 64 B frames A → B, two vhost-user ports", configuration: configuration) { benchmark in
        if datapath == nil {
            do {
                let workload = try TwoPortDatapath()
                // Steady state first: page faults and the FDB refresh are not per-frame costs.
                for _ in 0..<2_000 { _ = workload.turn() }
                datapath = workload
            } catch {
                benchmark.error("\(error)")
                return
            }
        }
        guard let workload = datapath else { return }
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
}
