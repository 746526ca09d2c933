import Datapath
import LinuxIO
import Prometheus
import SwitchCore

/// The engine's latest published snapshot as Prometheus series (docs/metrics.md). It reads
/// `Engine.latestSnapshot()`'s value and nothing else: a scrape costs the forwarding thread
/// nothing, and the figures are at most a second old (docs/engine-snapshots.md).
///
/// The engine already counts everything; here the counts are copied, not counted again, so a
/// counter is set to the snapshot's value (`Prometheus.Counter` has only increment and reset).
/// A port re-created by a reload starts again from 0, which Prometheus reads as a counter reset.
/// Runs on the daemon's main thread only.
final class SnapshotMetrics {
    let registry: PrometheusCollectorRegistry
    private var ports: [String: PortSeries] = [:]
    private var lastSequence: UInt64 = 0

    private let uptime, portCount, sequence, age, buildTime: Gauge
    private let fdbEntries, fdbStatic, fdbCapacity, fdbAging: Gauge
    private let fdbLearned, fdbMoved, fdbExpired, fdbEvicted, fdbFlushed: Counter
    private let fdbLearnFailures, fdbLimitRefusals, fdbSecurityRefusals: Counter
    private let turns, busyTurns, frames, bursts, backlogged, sleeps: Counter
    private let busyRatio, spinWindow, burstLimit: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        func gauge(_ name: String, _ help: String) -> Gauge { registry.makeGauge(name: name, help: help) }
        func counter(_ name: String, _ help: String) -> Counter { registry.makeCounter(name: name, help: help) }
        uptime = gauge("switchyard_uptime_seconds", "Seconds since the forwarding engine started.")
        portCount = gauge("switchyard_ports", "Ports in the engine's port table.")
        sequence = gauge("switchyard_snapshot_sequence",
                         "Sequence number of the engine snapshot these figures come from (0: none published yet).")
        age = gauge("switchyard_snapshot_age_seconds", "How old that snapshot was when this scrape was answered.")
        buildTime = gauge("switchyard_snapshot_build_seconds", "How long the engine thread spent taking that snapshot.")

        fdbEntries = gauge("switchyard_fdb_entries", "Entries in the MAC table (static and learned).")
        fdbStatic = gauge("switchyard_fdb_static_entries", "Static entries in the MAC table.")
        fdbCapacity = gauge("switchyard_fdb_capacity", "Entries the MAC table holds at most (fdb.capacity).")
        fdbAging = gauge("switchyard_fdb_aging_seconds", "Idle time after which a learned entry expires (0: never).")
        fdbLearned = counter("switchyard_fdb_learned_total", "Entries created by learning.")
        fdbMoved = counter("switchyard_fdb_moved_total", "Learned entries whose address appeared on another port.")
        fdbExpired = counter("switchyard_fdb_expired_total", "Learned entries removed by aging.")
        fdbEvicted = counter("switchyard_fdb_evicted_total", "Learned entries removed to make room in a full table.")
        fdbFlushed = counter("switchyard_fdb_flushed_total", "Entries removed by a flush, a port removal or a port going down.")
        fdbLearnFailures = counter("switchyard_fdb_learn_failures_total",
                                   "New addresses not learned because the table was full of static entries.")
        fdbLimitRefusals = counter("switchyard_fdb_limit_refusals_total",
                                   "New addresses refused because their port was at its mac-limit.")
        fdbSecurityRefusals = counter("switchyard_fdb_security_refusals_total",
                                      "Moves refused because the address belongs to a port with source-macs.")

        turns = counter("switchyard_datapath_turns_total", "Passes of the forwarding loop over every ring.")
        busyTurns = counter("switchyard_datapath_busy_turns_total", "Turns that moved at least one frame.")
        frames = counter("switchyard_datapath_frames_total", "Frames taken from guest TX rings, uplinks and tap devices.")
        bursts = counter("switchyard_datapath_bursts_total", "Ring visits that found frames.")
        backlogged = counter("switchyard_datapath_backlogged_bursts_total",
                             "Bursts after which the ring still held frames: the switch was the slow side.")
        sleeps = counter("switchyard_datapath_sleeps_total", "Times the loop slept waiting for a kick (idle: sleep).")
        busyRatio = gauge("switchyard_datapath_busy_ratio",
                          "busy_turns_total / turns_total since the engine started; over a window use rate() of both.")
        spinWindow = gauge("switchyard_datapath_spin_window_seconds", "How long the loop now spins on empty turns before sleeping.")
        burstLimit = gauge("switchyard_datapath_burst_limit", "Frames one ring visit takes at most.")
    }

    /// Brings every series up to `snapshot` (nil: the engine has published none yet).
    func update(from snapshot: EngineSnapshot?, now: UInt64 = MonotonicClock.nanoseconds()) {
        guard let snapshot else { return }
        age.set(Double(now &- min(now, snapshot.monotonicNanoseconds)) / 1e9)
        guard snapshot.sequence != lastSequence else { return }
        lastSequence = snapshot.sequence
        sequence.set(Int64(clamping: snapshot.sequence))
        uptime.set(Int64(clamping: snapshot.uptimeSeconds))
        portCount.set(Int64(snapshot.ports.count))
        buildTime.set(Double(snapshot.buildNanoseconds) / 1e9)

        let f = snapshot.fdb
        fdbEntries.set(Int64(f.totalEntries))
        fdbStatic.set(Int64(f.staticEntries))
        fdbCapacity.set(Int64(f.capacity))
        fdbAging.set(Int64(snapshot.fdbAgingSeconds))
        fdbLearned.set(f.learned)
        fdbMoved.set(f.moved)
        fdbExpired.set(f.expired)
        fdbEvicted.set(f.evicted)
        fdbFlushed.set(f.flushed)
        fdbLearnFailures.set(f.learnFailures)
        fdbLimitRefusals.set(f.limitRefusals)
        fdbSecurityRefusals.set(f.securityRefusals)

        let l = snapshot.loop
        turns.set(l.turns)
        busyTurns.set(l.busyTurns)
        frames.set(l.frames)
        bursts.set(l.bursts)
        backlogged.set(l.backloggedBursts)
        sleeps.set(l.sleeps)
        busyRatio.set(l.turns == 0 ? 0 : Double(l.busyTurns) / Double(l.turns))
        spinWindow.set(Double(l.spinWindowNanoseconds) / 1e9)
        burstLimit.set(Int64(l.burstLimit))

        updatePorts(snapshot.ports)
    }

    private func updatePorts(_ current: [EngineSnapshot.Port]) {
        var seen = Set<String>()
        for port in current {
            // Two ports of one name can only meet during a reload's remove-and-add; the first wins.
            guard seen.insert(port.name).inserted else { continue }
            let type = PortSeries.typeName(port.runtime.spec.kind)
            if let existing = ports[port.name], existing.type != type {
                existing.unregister(from: registry)
                ports[port.name] = nil
            }
            if let series = ports[port.name] {
                series.update(port)
            } else {
                let made = PortSeries(name: port.name, type: type, registry: registry)
                ports[port.name] = made
                made.update(port)
            }
        }
        for (name, series) in ports where !seen.contains(name) {
            // A port removed by a reload: its series go with it rather than freeze at their last values.
            series.unregister(from: registry)
            ports[name] = nil
        }
    }
}

extension Counter {
    /// The engine's count, as it is (Prometheus counters start from 0 and only grow: reset, add).
    func set(_ value: UInt64) {
        reset()
        increment(by: Int64(clamping: value))
    }
}
