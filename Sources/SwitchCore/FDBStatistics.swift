/// FDB event counters (monotonic since creation) and current occupancy, for the control plane.
public struct FDBStatistics: Sendable, Equatable {
    /// Dynamic entries created by learning.
    public var learned: UInt64 = 0
    /// Dynamic entries whose port changed because the address appeared on another port.
    public var moved: UInt64 = 0
    /// Dynamic entries removed by aging.
    public var expired: UInt64 = 0
    /// Dynamic entries removed to make room when the table was full.
    public var evicted: UInt64 = 0
    /// Entries removed by a flush (explicit, port removal, port down, or a mode change).
    public var flushed: UInt64 = 0
    /// New addresses not learned because the table was full of static entries.
    public var learnFailures: UInt64 = 0
    /// New addresses refused because their port had reached its MAC limit.
    public var limitRefusals: UInt64 = 0
    /// Moves refused because the address belongs to a port with a source allow-list.
    public var securityRefusals: UInt64 = 0

    public var totalEntries: Int = 0
    public var staticEntries: Int = 0
    public var dynamicEntries: Int = 0
    public var capacity: Int = 0

    public init() {}
}
