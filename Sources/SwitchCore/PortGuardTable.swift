/// Per-port storage for port security, preallocated like the rest of the core's per-port state:
/// allow-lists (sorted raw addresses) and three storm-control token buckets per port. Read only
/// on the guarded path of `decide`, i.e. for ports whose `PortState.guarded` flag is set.
@usableFromInline
final class PortGuardTable {
    /// One flood class's bucket. `rate` 0 = unlimited.
    struct Bucket {
        var rate: UInt32
        var tokens: UInt32
        var refilled: UInt32
        static let off = Bucket(rate: 0, tokens: 0, refilled: 0)
    }

    enum FloodClass: Int { case broadcast = 0, multicast = 1, unknownUnicast = 2 }

    let rows: Int
    private let allowLists: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>
    private let allowCounts: UnsafeMutablePointer<Int>
    private let buckets: UnsafeMutablePointer<Bucket>
    /// Control plane copy of what was configured.
    private(set) var settings: [PortSecurity]

    init(rows: Int) {
        self.rows = rows
        allowLists = .allocate(capacity: rows)
        allowLists.initialize(repeating: nil, count: rows)
        allowCounts = .allocate(capacity: rows)
        allowCounts.initialize(repeating: 0, count: rows)
        buckets = .allocate(capacity: rows * 3)
        buckets.initialize(repeating: .off, count: rows * 3)
        settings = Array(repeating: .none, count: rows)
    }

    deinit {
        for p in 0..<rows { allowLists[p]?.deallocate() }
        allowLists.deallocate()
        allowCounts.deallocate()
        buckets.deallocate()
    }

    func set(port p: Int, _ security: PortSecurity) {
        allowLists[p]?.deallocate()
        allowLists[p] = nil
        allowCounts[p] = 0
        if let list = security.allowedSources {
            let sorted = Set(list.map(\.rawValue)).sorted()
            let storage = UnsafeMutablePointer<UInt64>.allocate(capacity: max(sorted.count, 1))
            storage.initialize(from: sorted, count: sorted.count)
            allowLists[p] = storage
            allowCounts[p] = sorted.count
        }
        let storm = security.stormControl
        for (c, rate) in [storm.broadcast, storm.multicast, storm.unknownUnicast].enumerated() {
            let r = rate ?? 0
            // Start full: a port that just came up may flood one second's worth (ARP, DHCP, ND).
            buckets[p * 3 + c] = Bucket(rate: r, tokens: r, refilled: 0)
        }
        settings[p] = security
    }

    /// With no allow-list every source is allowed.
    @inline(__always)
    func allows(port p: Int, source: MACAddress) -> Bool {
        guard let list = allowLists[p] else { return true }
        var low = 0
        var high = allowCounts[p]
        let key = source.rawValue
        while low < high {
            let mid = (low &+ high) >> 1
            let v = list[mid]
            if v == key { return true }
            if v < key { low = mid &+ 1 } else { high = mid }
        }
        return false
    }

    @inline(__always)
    func hasStormControl(port p: Int) -> Bool {
        let b = buckets + p &* 3
        return b[0].rate | b[1].rate | b[2].rate != 0
    }

    /// Takes a token for one frame of `kind`; false when the bucket is empty. The refill is one
    /// multiply when the engine's second changes, never a clock read (the engine reads its clock
    /// once per turn and passes `now`).
    @inline(__always)
    func take(port p: Int, _ kind: FloodClass, now: UInt32) -> Bool {
        let b = buckets + (p &* 3 &+ kind.rawValue)
        let rate = b.pointee.rate
        if rate == 0 { return true }
        if b.pointee.refilled != now {
            let elapsed = UInt64(now &- b.pointee.refilled)
            let filled = UInt64(b.pointee.tokens) &+ UInt64(rate) &* elapsed
            b.pointee.tokens = UInt32(min(filled, UInt64(rate)))
            b.pointee.refilled = now
        }
        if b.pointee.tokens == 0 { return false }
        b.pointee.tokens &-= 1
        return true
    }
}
