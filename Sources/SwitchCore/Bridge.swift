/// The switching core of one datapath engine: port VLAN modes, learning through a
/// `ForwardingDatabase`, the per-burst forwarding decision and the counters.
///
/// Pure: no I/O, no clock (every call that needs time takes `now`, monotonic seconds), no locks.
/// One thread owns an engine. The FDB is a separate object passed in, so a later multi-engine
/// datapath can give each engine its own table (or route learning to one owner) without
/// touching this type.
///
/// Hot-path state is flat, preallocated storage indexed by port: a 4-byte `PortState`, a
/// 64-word VLAN membership bitmap and a counter row per port. Port names and `PortMode`s are
/// kept separately for the control plane and never read per frame.
public final class Bridge {
    public let fdb: ForwardingDatabase
    /// Port indices are 0..<maxPorts (the FDB's `maxPorts`).
    public let maxPorts: Int

    @usableFromInline let states: UnsafeMutablePointer<PortState>
    /// `maxPorts` × 64 words: bit v of port p's row set = p carries VLAN v.
    @usableFromInline let membership: UnsafeMutablePointer<UInt64>
    /// Indices of present ports, ascending; `presentCount` of them are valid.
    @usableFromInline let presentPorts: UnsafeMutablePointer<UInt16>
    @usableFromInline var presentCount = 0
    @usableFromInline let counters: PortCounterTable
    /// Port security storage (Bridge+Security.swift).
    @usableFromInline let guards: PortGuardTable

    var names: [String]
    var modes: [PortMode?]

    public init(fdb: ForwardingDatabase) {
        self.fdb = fdb
        maxPorts = fdb.maxPorts
        states = .allocate(capacity: maxPorts)
        states.initialize(repeating: .absent, count: maxPorts)
        membership = .allocate(capacity: maxPorts * 64)
        membership.initialize(repeating: 0, count: maxPorts * 64)
        presentPorts = .allocate(capacity: maxPorts)
        presentPorts.initialize(repeating: 0, count: maxPorts)
        counters = PortCounterTable(rows: maxPorts)
        guards = PortGuardTable(rows: maxPorts)
        names = Array(repeating: "", count: maxPorts)
        modes = Array(repeating: nil, count: maxPorts)
    }

    public convenience init(maxPorts: Int = ForwardingDatabase.defaultMaxPorts,
                            fdbCapacity: Int = ForwardingDatabase.defaultCapacity,
                            agingTime: UInt32 = ForwardingDatabase.defaultAgingTime,
                            hashSeed: UInt64? = nil) {
        self.init(fdb: ForwardingDatabase(capacity: fdbCapacity, agingTime: agingTime,
                                          maxPorts: maxPorts, hashSeed: hashSeed))
    }

    deinit {
        states.deallocate()
        membership.deallocate()
        presentPorts.deallocate()
    }

    /// The aging sweep; call about once a second.
    @discardableResult
    public func expire(now: UInt32) -> Int { fdb.expire(now: now) }

    @inlinable @inline(__always)
    func carries(port: Int, vlan: UInt16) -> Bool {
        membership[port &* 64 &+ Int(vlan >> 6)] & (1 &<< UInt64(vlan & 63)) != 0
    }

    /// Whether `port` exists and carries `vlan`.
    public func portCarries(_ port: UInt16, vlan: UInt16) -> Bool {
        Int(port) < maxPorts && vlan < 4096 && states[Int(port)].isPresent && carries(port: Int(port), vlan: vlan)
    }
}
