import Benchmark
import SwitchCore

/// A switch in steady state: 16 trunk ports, VLANs 10...17, the FDB full (8192 entries, 512 per
/// port), bursts of 32 tagged frames from port 0 whose sources are known on port 0 (a refresh)
/// and whose destinations are known elsewhere (a unicast lookup). `now` advances once per 1000
/// bursts so refreshes really store.
final class SteadyStateWorkload {
    static let ports = 16
    static let vlans: [UInt16] = Array(10...17)
    static let burst = 32
    static let bursts = 256

    let engine = ForwardingEngine(maxPorts: 64, fdbCapacity: 8192, agingTime: 300, hashSeed: 0x5eed)
    let frames = UnsafeMutablePointer<FrameHeader>.allocate(capacity: bursts * burst)
    let decisions = UnsafeMutablePointer<ForwardingDecision>.allocate(capacity: burst)
    var next = 0
    /// Seconds; advanced once per sample (1000 bursts) so source refreshes store.
    var now: UInt32 = 1

    init(unknownDestinationEvery: Int) {
        let allowed = VLANSet(SteadyStateWorkload.vlans)
        for p in 0..<SteadyStateWorkload.ports {
            try? engine.addPort(UInt16(p), name: "p\(p)", mode: .trunk(allowed: allowed, native: nil))
        }
        // MAC = port in byte 3, VLAN in byte 4, serial in byte 5 and 2 → 512 per port.
        func mac(port: Int, vlan: UInt16, serial: Int) -> MACAddress {
            MACAddress(0x02, 0x00, UInt8(serial >> 8), UInt8(port), UInt8(vlan), UInt8(serial & 0xFF))
        }
        let perPortPerVLAN = 8192 / SteadyStateWorkload.ports / SteadyStateWorkload.vlans.count
        for p in 0..<SteadyStateWorkload.ports {
            for v in SteadyStateWorkload.vlans {
                for s in 0..<perPortPerVLAN {
                    engine.fdb.learn(vlan: v, mac: mac(port: p, vlan: v, serial: s), port: UInt16(p), now: 0)
                }
            }
        }
        precondition(engine.fdb.count == 8192, "FDB not full: \(engine.fdb.count)")
        var rng = SplitMix(state: 42)
        for n in 0..<(SteadyStateWorkload.bursts * SteadyStateWorkload.burst) {
            let v = SteadyStateWorkload.vlans[Int(rng.next() % UInt64(SteadyStateWorkload.vlans.count))]
            let src = mac(port: 0, vlan: v, serial: Int(rng.next() % UInt64(perPortPerVLAN)))
            let dstPort = 1 + Int(rng.next() % UInt64(SteadyStateWorkload.ports - 1))
            var dst = mac(port: dstPort, vlan: v, serial: Int(rng.next() % UInt64(perPortPerVLAN)))
            if unknownDestinationEvery > 0 && n % unknownDestinationEvery == 0 {
                dst = MACAddress(0x02, 0xEE, 0, 0, 0, UInt8(n & 0xFF))
            }
            frames[n] = FrameHeader(destination: dst, source: src, length: 1514, isTagged: true, tci: 3 << 13 | v)
        }
        // The workload must measure what it claims: known unicast, nothing dropped.
        if unknownDestinationEvery == 0 {
            for b in 0..<SteadyStateWorkload.bursts {
                engine.decide(ingress: 0, frames: frames + b * SteadyStateWorkload.burst,
                              count: SteadyStateWorkload.burst, into: decisions, now: 0)
                for i in 0..<SteadyStateWorkload.burst {
                    precondition(decisions[i].kind == .unicast, "not unicast: \(decisions[i])")
                }
            }
        }
    }

    @inline(__always)
    func run(now: UInt32) {
        engine.decide(ingress: 0, frames: frames + next * SteadyStateWorkload.burst,
                      count: SteadyStateWorkload.burst, into: decisions, now: now)
        next = (next + 1) & (SteadyStateWorkload.bursts - 1)
    }
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A MAC flood: every frame comes from a new source on a full table, so every decision evicts.
final class MACFloodWorkload {
    let engine = ForwardingEngine(maxPorts: 64, fdbCapacity: 8192, agingTime: 300, hashSeed: 0x5eed)
    let frames = UnsafeMutablePointer<FrameHeader>.allocate(capacity: 32)
    let decisions = UnsafeMutablePointer<ForwardingDecision>.allocate(capacity: 32)
    var serial: UInt64 = 0

    init() {
        for p in 0..<16 { try? engine.addPort(UInt16(p), name: "p\(p)", mode: .access(vlan: 1)) }
        for n in 0..<8192 {
            engine.fdb.learn(vlan: 1, mac: MACAddress(rawValue: 0x0200_0000_0000 | UInt64(n)), port: UInt16(n % 16), now: 0)
        }
        precondition(engine.fdb.isFull)
    }

    @inline(__always)
    func run() {
        for i in 0..<32 {
            serial &+= 1
            frames[i] = FrameHeader(destination: .broadcast, source: MACAddress(rawValue: 0x0600_0000_0000 | serial),
                                    length: 64)
        }
        engine.decide(ingress: 0, frames: frames, count: 32, into: decisions, now: 1)
    }
}

nonisolated(unsafe) var knownUnicast: SteadyStateWorkload?
nonisolated(unsafe) var withFloods: SteadyStateWorkload?
nonisolated(unsafe) var macFlood: MACFloodWorkload?

let benchmarks: @Sendable () -> Void = {
    // One iteration = 1000 bursts of 32 frames (scalingFactor .kilo): numbers are per burst.
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 10_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])]
    )

    Benchmark("decide burst of 32, full FDB, known unicast", configuration: configuration) { benchmark in
        if knownUnicast == nil { knownUnicast = SteadyStateWorkload(unknownDestinationEvery: 0) }
        guard let workload = knownUnicast else { return }
        workload.now &+= 1
        let now = workload.now
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            workload.run(now: now)
        }
        benchmark.stopMeasurement()
        blackHole(workload.decisions[0])
    }

    Benchmark("decide burst of 32, full FDB, 1 in 8 unknown (flood)", configuration: configuration) { benchmark in
        if withFloods == nil { withFloods = SteadyStateWorkload(unknownDestinationEvery: 8) }
        guard let workload = withFloods else { return }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            workload.run(now: 1)
        }
        benchmark.stopMeasurement()
        blackHole(workload.decisions[0])
    }

    Benchmark("decide burst of 32, full FDB, MAC flood (every frame evicts)", configuration: configuration) { benchmark in
        if macFlood == nil { macFlood = MACFloodWorkload() }
        guard let workload = macFlood else { return }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            workload.run()
        }
        benchmark.stopMeasurement()
        blackHole(workload.decisions[0])
    }
}
