import SwitchCore

/// The engine's state at one instant, copied out on its thread: loop and port counters, port
/// states and faults, FDB statistics and, when asked for, the FDB's entries. A plain value, so any
/// thread may keep and read it without touching the datapath: `yardctl` formats it on the daemon's
/// thread, and metrics and live capture read the same thing (docs/engine-snapshots.md).
///
/// Raw on purpose: counters as the core keeps them, FDB entries unsorted and keyed by port index.
/// Whoever shows them filters, sorts, names and formats them on their own thread.
public struct EngineSnapshot: Sendable {
    /// What a snapshot carries beyond the counters, states and FDB statistics it always has.
    public struct Contents: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Every FDB entry: one pass over the table's slots on the engine thread, so only on request.
        public static let fdbEntries = Contents(rawValue: 1)
    }

    /// Why it was taken.
    public enum Trigger: Sendable, Equatable {
        /// The engine's once-a-second housekeeping tick.
        case housekeeping
        /// Someone asked (`Engine.snapshot(including:)`).
        case request
    }

    /// One port: what only the engine knows (connection state, features, faults) and the core's
    /// counters and FDB occupancy for it.
    public struct Port: Sendable {
        public var runtime: PortRuntime
        /// Up in the switching core: floods include it, unicast to it is delivered.
        public var isUp: Bool
        /// FDB entries (static and learned) pointing at this port.
        public var fdbEntryCount: Int
        /// nil = unlimited.
        public var macLimit: Int?
        public var counters: PortCounters

        public var index: UInt16 { runtime.index }
        public var name: String { runtime.spec.name }
        public var state: PortOperationalState { runtime.state }
    }

    /// 1 for the first snapshot an engine publishes, +1 for each after, whatever its trigger: a
    /// reader that saw sequence n knows n+1 is newer.
    public var sequence: UInt64 = 0
    public var trigger: Trigger
    /// The engine clock (monotonic seconds from its start, plus one) when it was taken: the time
    /// base of the FDB entries' ages.
    public var engineSeconds: UInt32
    public var uptimeSeconds: UInt64
    /// CLOCK_MONOTONIC when it was taken, for rates between two snapshots.
    public var monotonicNanoseconds: UInt64
    /// How long the engine thread spent taking it (it forwarded nothing meanwhile).
    public var buildNanoseconds: UInt64 = 0
    public var loop: LoopCounters
    /// Ascending by port index.
    public var ports: [Port]
    public var fdb: FDBStatistics
    public var fdbAgingSeconds: UInt32
    /// Unsorted (slot order); nil unless `Contents.fdbEntries` was asked for.
    public var fdbEntries: [FDBEntry]?
    /// With `fdbEntries`: each vxlan port's learned remote MACs and their VTEPs.
    public var vxlanRemotes: [VxlanRemote]?

    public func port(named name: String) -> Port? { ports.first { $0.name == name } }
    public func port(index: UInt16) -> Port? { ports.first { $0.index == index } }
}
