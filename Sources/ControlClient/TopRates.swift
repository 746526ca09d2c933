import ControlProtocol

/// One reading for `yardctl top`: a `ports` reply and a `stats` reply taken one after the other,
/// and the client's own clock, used only when the daemon does not stamp its replies.
public struct TopSample: Sendable {
    public var ports: [PortStatus]
    public var stats: SwitchStatistics
    public var clientNanoseconds: UInt64

    public init(ports: [PortStatus], stats: SwitchStatistics, clientNanoseconds: UInt64) {
        self.ports = ports
        self.stats = stats
        self.clientNanoseconds = clientNanoseconds
    }

    /// When the engine read the port counters (its snapshot's CLOCK_MONOTONIC), else the client's.
    var portNanoseconds: UInt64 { ports.first?.monotonicNanoseconds ?? clientNanoseconds }
}

/// Per-second rates of one port between two samples (the `top` key of `yardctl --json top`).
public struct PortRates: Codable, Sendable, Equatable {
    public var rxFramesPerSecond: Double
    public var rxBitsPerSecond: Double
    public var txFramesPerSecond: Double
    public var txBitsPerSecond: Double
    /// Keyed by drop reason name; only reasons that dropped a frame in the interval.
    public var dropsPerSecond: [String: Double]

    public var totalDropsPerSecond: Double { dropsPerSecond.values.reduce(0, +) }
}

/// One row of `yardctl top`. `rates` is nil when the previous sample has no comparable counters
/// for the port: it is new, or was removed and added again (a reload) and its counters restarted.
public struct PortTopRow: Codable, Sendable, Equatable {
    public var name: String
    public var state: String
    public var rates: PortRates?
}

/// One refresh of `yardctl top`.
public struct TopFrame: Codable, Sendable, Equatable {
    /// Seconds between the two port readings the rates divide by.
    public var intervalSeconds: Double
    public var uptimeSeconds: UInt64
    public var fdbEntries: Int
    public var fdbCapacity: Int
    /// Share of the forwarding loop's turns that moved a frame in the interval (pmd-stats-show's
    /// "busy"); nil when the loop did not turn.
    public var datapathBusyPercent: Double?
    public var ports: [PortTopRow]

    /// Rates between two samples: counter differences divided by the time between the engine's
    /// readings (docs/yardctl.md, "top").
    public init(from previous: TopSample, to current: TopSample) {
        let nanoseconds = current.portNanoseconds &- previous.portNanoseconds
        let seconds = current.portNanoseconds > previous.portNanoseconds ? Double(nanoseconds) / 1e9 : 0
        intervalSeconds = seconds
        uptimeSeconds = current.stats.uptimeSeconds
        fdbEntries = current.stats.fdb.total
        fdbCapacity = current.stats.fdb.capacity
        let turns = current.stats.datapath.turns &- previous.stats.datapath.turns
        let busy = current.stats.datapath.busyTurns &- previous.stats.datapath.busyTurns
        let loopAdvanced = current.stats.datapath.turns > previous.stats.datapath.turns
            && current.stats.datapath.busyTurns >= previous.stats.datapath.busyTurns
        datapathBusyPercent = loopAdvanced ? 100 * Double(busy) / Double(turns) : nil
        var before: [String: TrafficCounters] = [:]
        for p in previous.ports { before[p.name] = p.counters }
        ports = current.ports.map { port in
            PortTopRow(name: port.name, state: port.state,
                       rates: before[port.name].flatMap { TopFrame.rates(from: $0, to: port.counters, seconds: seconds) })
        }
    }

    static func rates(from old: TrafficCounters, to new: TrafficCounters, seconds: Double) -> PortRates? {
        guard seconds > 0, new.rxFrames >= old.rxFrames, new.txFrames >= old.txFrames,
              new.rxBytes >= old.rxBytes, new.txBytes >= old.txBytes else { return nil }
        var drops: [String: Double] = [:]
        for (reason, n) in new.drops {
            let was = old.drops[reason] ?? 0
            guard n >= was else { return nil }
            if n > was { drops[reason] = Double(n - was) / seconds }
        }
        return PortRates(rxFramesPerSecond: Double(new.rxFrames - old.rxFrames) / seconds,
                         rxBitsPerSecond: Double(new.rxBytes - old.rxBytes) * 8 / seconds,
                         txFramesPerSecond: Double(new.txFrames - old.txFrames) / seconds,
                         txBitsPerSecond: Double(new.txBytes - old.txBytes) * 8 / seconds,
                         dropsPerSecond: drops)
    }
}
