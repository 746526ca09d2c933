/// Traffic of one port (or of all, in `SwitchStatistics.totals`) on the wire, from the guest's
/// view. Drops are keyed by their reason's name (`rx-ring-full`, `mac-limit`, ...) and list only
/// reasons that occurred. Not SwitchCore's `PortCounters`, the engine's raw per-port counters this
/// is made from; the JSON keys are the property names, so renaming the type changed no byte.
public struct TrafficCounters: Codable, Sendable, Equatable {
    public var rxFrames: UInt64
    public var rxBytes: UInt64
    public var txFrames: UInt64
    public var txBytes: UInt64
    public var drops: [String: UInt64]

    public init(rxFrames: UInt64 = 0, rxBytes: UInt64 = 0, txFrames: UInt64 = 0, txBytes: UInt64 = 0,
                drops: [String: UInt64] = [:]) {
        self.rxFrames = rxFrames
        self.rxBytes = rxBytes
        self.txFrames = txFrames
        self.txBytes = txBytes
        self.drops = drops
    }

    public var totalDrops: UInt64 { drops.values.reduce(0, +) }
}

/// One row of `yardctl ports`.
public struct PortStatus: Codable, Sendable, Equatable {
    public var name: String
    /// `vhost-user`, `uplink`, or any later kind (`tap`): a string, so an older `yardctl` shows a
    /// kind it does not know.
    public var type: String
    /// Datapath's `PortOperationalState` as its description: `listening`, `connecting`,
    /// `connected`, `running`, `broken (...)`, `up`, `link-down`, `error: ...`
    /// (docs/engine-snapshots.md).
    public var state: String
    /// Why the port is not up, when known (e.g. an uplink's missing interface).
    public var reason: String?
    /// e.g. `access 10`, `trunk 10,20-30 native 1`.
    public var vlanMode: String
    /// Socket path (vhost-user) or interface name (uplink), with `(server)` / `(client)`.
    public var endpoint: String
    public var macCount: Int
    /// Negotiated virtio feature names (vhost-user ports, once a front-end negotiated).
    public var features: [String]
    /// Queue pairs configured / enabled by the front-end.
    public var queues: Int
    public var enabledQueues: Int
    public var mtu: Int
    public var counters: TrafficCounters
    /// Times the port was broken by its front-end (`broken (guest-memory-fault)` and the like;
    /// docs/port-faults.md). nil from a daemon that does not report it.
    public var faults: UInt64?
    /// vhost-user ports: connections refused because the peer's uid is not in allowed-uids
    /// (docs/connections.md). Optional so replies of older daemons still decode.
    public var refusedConnections: Int?
    /// CLOCK_MONOTONIC, in nanoseconds, when the engine read these counters (its snapshot's
    /// `monotonicNanoseconds`): `yardctl top` divides the difference of two replies' counters by
    /// the difference of these. nil from a daemon that does not report it.
    public var monotonicNanoseconds: UInt64?
    /// vhost-user ports: the guest memory regions mapped now (they change with memory hot-plug),
    /// each with how many of the RX buffers the guest posted last lie in it
    /// (docs/memory-hotplug-and-reconnect.md). nil from a daemon that does not report it.
    public var memoryRegions: [MemoryRegionStatus]?

    public init(name: String, type: String, state: String, reason: String? = nil, vlanMode: String, endpoint: String,
                macCount: Int, features: [String] = [], queues: Int, enabledQueues: Int = 0,
                mtu: Int, counters: TrafficCounters, faults: UInt64? = nil) {
        self.name = name
        self.type = type
        self.state = state
        self.reason = reason
        self.vlanMode = vlanMode
        self.endpoint = endpoint
        self.macCount = macCount
        self.features = features
        self.queues = queues
        self.enabledQueues = enabledQueues
        self.mtu = mtu
        self.counters = counters
        self.faults = faults
    }
}

/// One guest memory region of a vhost-user port in `yardctl ports --json`.
public struct MemoryRegionStatus: Codable, Sendable, Equatable {
    public var guestPhysicalAddress: UInt64
    public var size: UInt64
    /// Of the RX buffers the guest made available last (up to one ring's worth per RX ring), how
    /// many lie in this region.
    public var receiveBuffers: Int

    public init(guestPhysicalAddress: UInt64, size: UInt64, receiveBuffers: Int) {
        self.guestPhysicalAddress = guestPhysicalAddress
        self.size = size
        self.receiveBuffers = receiveBuffers
    }
}

public struct SwitchStatistics: Codable, Sendable, Equatable {
    public var uptimeSeconds: UInt64
    public var ports: Int
    public var totals: TrafficCounters
    public var fdb: FDBSummary
    public var datapath: DatapathStatistics
    /// CLOCK_MONOTONIC (ns) of the snapshot these come from, as in `PortStatus`; nil from older daemons.
    public var monotonicNanoseconds: UInt64?

    public init(uptimeSeconds: UInt64, ports: Int, totals: TrafficCounters, fdb: FDBSummary,
                datapath: DatapathStatistics) {
        self.uptimeSeconds = uptimeSeconds
        self.ports = ports
        self.totals = totals
        self.fdb = fdb
        self.datapath = datapath
    }
}

/// The forwarding loop since start (Datapath's `LoopCounters`): bursts that leave a backlog on
/// their ring mean the switch is the slow side; mostly idle turns and no backlog mean it waits on
/// its guests.
public struct DatapathStatistics: Codable, Sendable, Equatable {
    public var turns: UInt64
    public var busyTurns: UInt64
    public var frames: UInt64
    public var bursts: UInt64
    public var backloggedBursts: UInt64
    public var burstLimit: Int
    public var sleeps: UInt64
    public var spinWindowNanoseconds: UInt64

    public init(turns: UInt64, busyTurns: UInt64, frames: UInt64, bursts: UInt64, backloggedBursts: UInt64,
                burstLimit: Int, sleeps: UInt64, spinWindowNanoseconds: UInt64) {
        self.turns = turns
        self.busyTurns = busyTurns
        self.frames = frames
        self.bursts = bursts
        self.backloggedBursts = backloggedBursts
        self.burstLimit = burstLimit
        self.sleeps = sleeps
        self.spinWindowNanoseconds = spinWindowNanoseconds
    }
}
