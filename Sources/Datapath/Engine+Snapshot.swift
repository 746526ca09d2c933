import LinuxIO
import SwitchCore

/// Snapshots: the engine's state as values for the control plane, metrics and capture
/// (docs/engine-snapshots.md).
extension Engine {
    /// What the housekeeping tick publishes: counters, states and FDB statistics, not the FDB's
    /// entries. Copying those costs a pass over every slot of the table on the forwarding thread
    /// (the aging sweep already takes one a second); only `fdb show` needs them, and it asks.
    public static let periodicSnapshotContents: EngineSnapshot.Contents = []

    /// The last snapshot published, by the housekeeping tick (about once a second while the engine
    /// runs) or a request; nil before the first. Any thread; never waits on the engine.
    public func latestSnapshot() -> EngineSnapshot? { snapshots.current }

    /// A fresh snapshot, taken on the engine thread between bursts and published as the latest.
    /// Any thread but the engine's (it waits on the mailbox).
    public func snapshot(including contents: EngineSnapshot.Contents = [],
                         timeoutSeconds: Double = 5) -> Result<EngineSnapshot, EngineError> {
        perform(timeoutSeconds: timeoutSeconds) { $0.publishSnapshot(.request, including: contents) }
    }

    /// Engine thread only.
    @discardableResult
    func publishSnapshot(_ trigger: EngineSnapshot.Trigger, including contents: EngineSnapshot.Contents) -> EngineSnapshot {
        snapshots.publish(takeSnapshot(trigger, including: contents))
    }

    /// Engine thread only: copies, nothing else. No sorting, filtering or formatting here: every
    /// microsecond spent is a microsecond no ring is served.
    func takeSnapshot(_ trigger: EngineSnapshot.Trigger, including contents: EngineSnapshot.Contents) -> EngineSnapshot {
        let started = MonotonicClock.nanoseconds()
        let now = clock.now
        let ports = portRuntime().map { runtime -> EngineSnapshot.Port in
            let port = bridge.snapshot(port: runtime.index)
            return EngineSnapshot.Port(runtime: runtime, isUp: port?.isUp ?? false,
                                       fdbEntryCount: port?.fdbEntries ?? 0, macLimit: port?.macLimit,
                                       counters: port?.counters ?? PortCounters())
        }
        var snapshot = EngineSnapshot(
            trigger: trigger, engineSeconds: now, uptimeSeconds: clock.secondsSinceStart,
            monotonicNanoseconds: started, loop: loop.pointee, ports: ports,
            fdb: bridge.fdb.statistics, fdbAgingSeconds: bridge.fdb.agingTime,
            fdbEntries: contents.contains(.fdbEntries) ? bridge.fdb.copyEntries(now: now) : nil)
        if contents.contains(.fdbEntries) { snapshot.vxlanRemotes = vxlanRemotes() }
        snapshot.buildNanoseconds = MonotonicClock.nanoseconds() &- started
        return snapshot
    }
}
