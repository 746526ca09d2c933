@testable import Datapath
@testable import MetricsExport
import Prometheus
import SwitchCore
import TestSupport
import Testing

/// Engine snapshots as Prometheus series, without an engine: snapshots made by hand.
@Suite struct SnapshotMetricsTests {
    func port(_ index: UInt16, _ name: String, state: PortOperationalState = .running,
              counters: PortCounters = PortCounters()) -> EngineSnapshot.Port {
        let spec = PortSpecification(name: name, kind: .vhostUser(socketPath: "/run/\(name).sock", mode: .server, queuePairs: 2),
                                     vlan: .access(vlan: 10), macLimit: 256, mtu: 1500)
        let runtime = PortRuntime(index: index, spec: spec, state: state, negotiatedFeatures: [], reason: nil, mtu: 1500,
                                  enabledQueuePairs: 1)
        return EngineSnapshot.Port(runtime: runtime, isUp: true, fdbEntryCount: 1, macLimit: 256, counters: counters)
    }

    func snapshot(_ sequence: UInt64, _ ports: [EngineSnapshot.Port]) -> EngineSnapshot {
        var loop = LoopCounters()
        loop.turns = 1000
        loop.busyTurns = 250
        var s = EngineSnapshot(trigger: .housekeeping, engineSeconds: 5, uptimeSeconds: 4, monotonicNanoseconds: 1_000,
                               loop: loop, ports: ports, fdb: FDBStatistics(), fdbAgingSeconds: 300, fdbEntries: nil)
        s.sequence = sequence
        return s
    }

    func render(_ metrics: SnapshotMetrics, _ s: EngineSnapshot) throws -> PrometheusText {
        metrics.update(from: s, now: 2_000)
        return try PrometheusText(metrics.registry.emitToString())
    }

    @Test func portCountersStatesAndDropsBecomeLabelledSeries() throws {
        var busy = PortCounters()
        busy.receivedFrames = 7
        busy.receivedBytes = 448
        busy.receiveDrops[Int(DropReason.vlanNotAllowed.rawValue)] = 3
        let metrics = SnapshotMetrics(registry: PrometheusCollectorRegistry())
        let text = try render(metrics, snapshot(1, [port(0, "a", counters: busy), port(1, "b", state: .broken(.ringBroken))]))
        #expect(text.value("switchyard_port_rx_frames_total", ["port": "a"]) == 7)
        #expect(text.value("switchyard_port_rx_bytes_total", ["port": "a"]) == 448)
        #expect(text.value("switchyard_port_rx_frames_total", ["port": "b"]) == 0)
        #expect(text.value("switchyard_port_dropped_frames_total", ["port": "a", "direction": "rx", "reason": "vlan-not-allowed"]) == 3)
        #expect(text.value("switchyard_port_rx_dropped_frames_total", ["port": "a"]) == 3)
        // Sparse: no series for a reason that never dropped anything; the total is there at 0.
        #expect(text.all("switchyard_port_dropped_frames_total").count == 1)
        #expect(text.value("switchyard_port_rx_dropped_frames_total", ["port": "b"]) == 0)
        #expect(text.value("switchyard_port_state", ["port": "a", "state": "running"]) == 1)
        #expect(text.value("switchyard_port_state", ["port": "a", "state": "broken"]) == 0)
        #expect(text.value("switchyard_port_state", ["port": "b", "state": "broken"]) == 1)
        #expect(text.value("switchyard_port_fault", ["port": "b", "fault": "ring-broken"]) == 1)
        #expect(text.value("switchyard_port_fault", ["port": "b", "fault": "guest-memory-fault"]) == 0)
        #expect(text.value("switchyard_port_queue_pairs_configured", ["port": "a"]) == 2)
        #expect(text.value("switchyard_port_queue_pairs_enabled", ["port": "a"]) == 1)
        #expect(text.value("switchyard_datapath_busy_ratio") == 0.25)
        #expect(text.value("switchyard_fdb_aging_seconds") == 300)
        #expect(text.value("switchyard_snapshot_sequence") == 1)
        #expect(text.types["switchyard_port_rx_frames_total"] == "counter")
        #expect(text.types["switchyard_port_state"] == "gauge")
    }

    @Test func aPortRemovedByAReloadTakesItsSeriesWithIt() throws {
        var counters = PortCounters()
        counters.transmittedFrames = 9
        let metrics = SnapshotMetrics(registry: PrometheusCollectorRegistry())
        let before = try render(metrics, snapshot(1, [port(0, "a", counters: counters), port(1, "b", counters: counters)]))
        #expect(before.value("switchyard_port_tx_frames_total", ["port": "b"]) == 9)
        // b removed; a re-created by the reload, its counters from 0 again (a counter reset).
        let after = try render(metrics, snapshot(2, [port(0, "a")]))
        #expect(after.all("switchyard_port_tx_frames_total").map { $0.labels["port"] } == ["a"])
        #expect(after.value("switchyard_port_tx_frames_total", ["port": "a"]) == 0)
        #expect(!after.samples.contains { $0.labels["port"] == "b" })
    }

    /// What a scrape costs the daemon's main thread with many ports (printed; debug build).
    @Test func aHundredPortsRenderEverySeries() throws {
        let metrics = SnapshotMetrics(registry: PrometheusCollectorRegistry())
        var counters = PortCounters()
        counters.receivedFrames = 1
        let ports = (0..<100).map { port(UInt16($0), "p\($0)", counters: counters) }
        let start = ContinuousClock.now
        metrics.update(from: snapshot(1, ports), now: 2_000)
        _ = metrics.registry.emitToBuffer()
        let first = ContinuousClock.now - start
        // The next scrapes only set values: the series exist.
        counters.receivedFrames = 2
        let again = ContinuousClock.now
        metrics.update(from: snapshot(2, (0..<100).map { port(UInt16($0), "p\($0)", counters: counters) }), now: 3_000)
        let body = metrics.registry.emitToBuffer()
        let next = ContinuousClock.now - again
        let text = try PrometheusText(String(decoding: body, as: UTF8.self))
        #expect(text.all("switchyard_port_rx_frames_total").count == 100)
        #expect(text.all("switchyard_port_rx_frames_total").allSatisfy { $0.value == 2 })
        print("measured: 100 ports: \(text.samples.count) samples, \(body.count) bytes; first scrape (creates the series) \(first), next \(next)")
    }
}
