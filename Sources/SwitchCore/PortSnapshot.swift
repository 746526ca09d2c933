/// A port's configuration, state and counters, for `yardctl port show` and metrics.
public struct PortSnapshot: Sendable, Equatable {
    public var index: UInt16
    public var name: String
    public var mode: PortMode
    public var isUp: Bool
    /// nil = unlimited.
    public var macLimit: Int?
    /// FDB entries (static and dynamic) pointing at this port.
    public var fdbEntries: Int
    public var counters: PortCounters

    public init(index: UInt16, name: String, mode: PortMode, isUp: Bool, macLimit: Int?,
                fdbEntries: Int, counters: PortCounters) {
        self.index = index
        self.name = name
        self.mode = mode
        self.isUp = isUp
        self.macLimit = macLimit
        self.fdbEntries = fdbEntries
        self.counters = counters
    }
}
