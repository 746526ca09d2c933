/// The MAC learning table: (VLAN, MAC) → port.
///
/// Design (after OVS's lib/mac-learning.h, with a flat table instead of a hash map of nodes):
/// * Preallocated open addressing with linear probing and backward-shift deletion (no tombstones,
///   so probe lengths never degrade). Slots are a power of two at least twice the capacity, so
///   the load factor stays ≤ 0.5 and a miss ends after a couple of slots.
/// * The key is `vlan << 48 | mac`; the hash mixes it with a per-table seed so a guest cannot
///   choose addresses that collide (MAC flooding aimed at the table itself).
/// * A global capacity defends the table against MAC flooding: when full, an entry of the port
///   holding the most dynamic entries is evicted — the flooding port pays, not its victims.
/// * Per-port limits refuse new addresses beyond the limit (the frame is dropped `mac-limit`).
/// * Static entries are never aged, moved, evicted or counted against a port's limit.
/// * Time is injected (`now`, monotonic seconds); aging is a sweep the engine runs ~1/s.
///
/// Not thread-safe: one engine owns one table. Several engines can each own a table, or one can
/// own it and others send it learn requests; the type has no engine dependencies either way.
public final class ForwardingDatabase {
    /// Most entries (static + dynamic) the table holds.
    public let capacity: Int
    /// Ports are indexed 0..<maxPorts.
    public let maxPorts: Int
    /// Seconds without a frame from an address before its entry expires; 0 = never.
    public var agingTime: UInt32

    @usableFromInline let slots: UnsafeMutablePointer<FDBSlot>
    @usableFromInline let slotMask: Int
    @usableFromInline let hashShift: UInt64
    @usableFromInline let hashSeed: UInt64
    /// Dynamic entries per port.
    @usableFromInline let dynamicPerPort: UnsafeMutablePointer<UInt32>
    /// Static entries per port.
    @usableFromInline let staticPerPort: UnsafeMutablePointer<UInt32>
    /// MAC limit per port; 0 = unlimited.
    @usableFromInline let limitPerPort: UnsafeMutablePointer<UInt32>
    /// Port security (ForwardingDatabase+Security.swift): 1 = the port has a source allow-list.
    @usableFromInline let securedPerPort: UnsafeMutablePointer<UInt8>
    /// Addresses each port took over from another port (moves in).
    @usableFromInline let movesPerPort: UnsafeMutablePointer<UInt64>

    @usableFromInline var dynamicCount = 0
    @usableFromInline var staticCount = 0
    /// Where the next eviction scan starts, so evictions spread over the table.
    @usableFromInline var evictionCursor = 0
    @usableFromInline var stats = FDBStatistics()

    public static let defaultCapacity = 8192
    public static let defaultAgingTime: UInt32 = 300
    public static let defaultMaxPorts = 256

    /// - Parameters:
    ///   - capacity: clamped to 1...1<<22.
    ///   - maxPorts: clamped to 1...65535.
    ///   - hashSeed: pass a random value in production; nil draws one from the system RNG.
    public init(capacity: Int = ForwardingDatabase.defaultCapacity,
                agingTime: UInt32 = ForwardingDatabase.defaultAgingTime,
                maxPorts: Int = ForwardingDatabase.defaultMaxPorts,
                hashSeed: UInt64? = nil) {
        let capacity = Swift.min(Swift.max(capacity, 1), 1 << 22)
        let maxPorts = Swift.min(Swift.max(maxPorts, 1), 65535)
        var slotCount = 16
        while slotCount < 2 * capacity { slotCount <<= 1 }
        self.capacity = capacity
        self.maxPorts = maxPorts
        self.agingTime = agingTime
        self.slotMask = slotCount - 1
        self.hashShift = UInt64(64 - slotCount.trailingZeroBitCount)
        var rng = SystemRandomNumberGenerator()
        self.hashSeed = hashSeed ?? rng.next()
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: .empty, count: slotCount)
        dynamicPerPort = .allocate(capacity: maxPorts)
        dynamicPerPort.initialize(repeating: 0, count: maxPorts)
        staticPerPort = .allocate(capacity: maxPorts)
        staticPerPort.initialize(repeating: 0, count: maxPorts)
        limitPerPort = .allocate(capacity: maxPorts)
        limitPerPort.initialize(repeating: 0, count: maxPorts)
        securedPerPort = .allocate(capacity: maxPorts)
        securedPerPort.initialize(repeating: 0, count: maxPorts)
        movesPerPort = .allocate(capacity: maxPorts)
        movesPerPort.initialize(repeating: 0, count: maxPorts)
        stats.capacity = capacity
    }

    deinit {
        slots.deallocate()
        dynamicPerPort.deallocate()
        staticPerPort.deallocate()
        limitPerPort.deallocate()
        securedPerPort.deallocate()
        movesPerPort.deallocate()
    }

    /// Number of slots (power of two, ≥ 2 × capacity).
    public var slotCount: Int { slotMask + 1 }
    public var count: Int { dynamicCount + staticCount }
    public var isFull: Bool { count >= capacity }

    /// The slot a key hashes to: seed, then a multiply–xorshift–multiply mix (splitmix64's
    /// finaliser), and the top bits, which depend on every key bit.
    @inlinable @inline(__always)
    func homeSlot(_ key: UInt64) -> Int {
        var h = key ^ hashSeed
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: h >> hashShift)
    }

    /// Slot index holding `key`, or -1.
    @inlinable @inline(__always)
    func findSlot(_ key: UInt64) -> Int {
        var i = homeSlot(key)
        while true {
            let k = slots[i].key
            // Empty first: key 0 (VLAN 0, MAC 0) must never match an empty slot.
            if k == 0 { return -1 }
            if k == key { return i }
            i = (i &+ 1) & slotMask
        }
    }

    /// `findSlot` for the burst loop, trying `memo` (the previous frame's destination slot, a valid
    /// slot index) first; the memo is used only if that slot still holds `key` (never 0).
    @inlinable @inline(__always)
    func findSlot(_ key: UInt64, memo: inout Int) -> Int {
        if slots[memo].key == key { return memo }
        let i = findSlot(key)
        if i >= 0 { memo = i }
        return i
    }

    /// The port `mac` was learned (or configured) on in `vlan`, or nil.
    @inline(__always)
    public func lookup(vlan: UInt16, mac: MACAddress) -> UInt16? {
        let i = findSlot(FDBSlot.key(vlan: vlan, mac: mac))
        return i < 0 ? nil : slots[i].port
    }

    /// Dynamic plus static entries on `port`.
    public func entryCount(port: UInt16) -> Int {
        guard Int(port) < maxPorts else { return 0 }
        return Int(dynamicPerPort[Int(port)]) + Int(staticPerPort[Int(port)])
    }

    /// Learned (dynamic) entries on `port`: what the MAC limit bounds.
    public func dynamicEntryCount(port: UInt16) -> Int {
        guard Int(port) < maxPorts else { return 0 }
        return Int(dynamicPerPort[Int(port)])
    }

    /// Bounds the learned entries on `port`; nil or 0 = unlimited. Lowering it below the current
    /// count removes nothing: new addresses are refused until entries age out.
    public func setMACLimit(port: UInt16, limit: Int?) {
        guard Int(port) < maxPorts else { return }
        limitPerPort[Int(port)] = UInt32(clamping: Swift.max(limit ?? 0, 0))
    }

    public func macLimit(port: UInt16) -> Int? {
        guard Int(port) < maxPorts, limitPerPort[Int(port)] != 0 else { return nil }
        return Int(limitPerPort[Int(port)])
    }

    public var statistics: FDBStatistics {
        var s = stats
        s.totalEntries = count
        s.staticEntries = staticCount
        s.dynamicEntries = dynamicCount
        return s
    }
}
