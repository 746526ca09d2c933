/// One row of `yardctl fdb show`, in the spirit of `ovs-appctl fdb/show`.
public struct FDBEntryInfo: Codable, Sendable, Equatable {
    public var port: String
    public var vlan: UInt16
    public var mac: String
    /// Seconds since the MAC was last seen; nil for static entries.
    public var ageSeconds: UInt32?
    public var isStatic: Bool
    /// For an entry on a vxlan port: the remote VTEP (IPv4) the MAC was last seen behind; nil
    /// otherwise, or while the port has not learned it (docs/vxlan-ports.md).
    public var vtep: String?

    public init(port: String, vlan: UInt16, mac: String, ageSeconds: UInt32?, isStatic: Bool, vtep: String? = nil) {
        self.port = port
        self.vlan = vlan
        self.mac = mac
        self.ageSeconds = ageSeconds
        self.isStatic = isStatic
        self.vtep = vtep
    }
}

public struct FDBTable: Codable, Sendable, Equatable {
    public var entries: [FDBEntryInfo]
    public var total: Int
    public var learned: Int
    public var staticCount: Int
    public var capacity: Int

    public init(entries: [FDBEntryInfo], total: Int, learned: Int, staticCount: Int, capacity: Int) {
        self.entries = entries
        self.total = total
        self.learned = learned
        self.staticCount = staticCount
        self.capacity = capacity
    }
}

/// `yardctl fdb stats` on the wire: occupancy, aging and lifetime learning events. Not SwitchCore's
/// `FDBStatistics`, the table's raw counters it is made from; same JSON keys as before the rename.
public struct FDBSummary: Codable, Sendable, Equatable {
    public var total: Int
    public var learned: Int
    public var staticCount: Int
    public var capacity: Int
    public var agingSeconds: UInt32
    /// Lifetime event counts.
    public var learnedEvents: UInt64
    public var moves: UInt64
    public var expired: UInt64
    public var evicted: UInt64

    public init(total: Int, learned: Int, staticCount: Int, capacity: Int, agingSeconds: UInt32,
                learnedEvents: UInt64, moves: UInt64, expired: UInt64, evicted: UInt64) {
        self.total = total
        self.learned = learned
        self.staticCount = staticCount
        self.capacity = capacity
        self.agingSeconds = agingSeconds
        self.learnedEvents = learnedEvents
        self.moves = moves
        self.expired = expired
        self.evicted = evicted
    }
}
