/// Which remote VTEP an inner MAC was last seen behind, for a vxlan port's known-unicast
/// transmit (docs/vxlan-ports.md, "Learning"). The switch's FDB learns the MAC on the vxlan port
/// like on any port; this table only answers "which VTEP behind that port". Fixed size, open
/// addressing with a short probe, nothing allocated after init: a hostile underlay filling it
/// overwrites its own oldest entries, never grows memory. Engine thread only.
public final class VxlanRemoteTable {
    public static let capacity = 4096
    /// A probe this long finds a slot or evicts the oldest in it.
    static let probeLength = 8
    private static let bits = 12
    /// MAC (48 bits) | `present`; 0 = empty.
    private let keys: UnsafeMutablePointer<UInt64>
    /// IPv4, network byte order.
    private let addresses: UnsafeMutablePointer<UInt32>
    private let seen: UnsafeMutablePointer<UInt32>
    private static let present: UInt64 = 1 << 63

    public init() {
        keys = .allocate(capacity: Self.capacity)
        keys.initialize(repeating: 0, count: Self.capacity)
        addresses = .allocate(capacity: Self.capacity)
        addresses.initialize(repeating: 0, count: Self.capacity)
        seen = .allocate(capacity: Self.capacity)
        seen.initialize(repeating: 0, count: Self.capacity)
    }

    deinit {
        keys.deallocate()
        addresses.deallocate()
        seen.deallocate()
    }

    @inline(__always)
    private static func home(_ mac: UInt64) -> Int {
        Int(truncatingIfNeeded: (mac &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
    }

    /// Remembers that `mac` came from `address` at `now` (seconds).
    @inline(__always)
    public func learn(mac: UInt64, address: UInt32, now: UInt32) {
        let key = mac | Self.present
        let start = Self.home(mac)
        var victim = start
        var oldest = UInt32.max
        for step in 0..<Self.probeLength {
            let i = (start &+ step) & (Self.capacity &- 1)
            let k = keys[i]
            if k == key || k == 0 {
                keys[i] = key
                addresses[i] = address
                seen[i] = now
                return
            }
            if seen[i] < oldest {
                oldest = seen[i]
                victim = i
            }
        }
        keys[victim] = key
        addresses[victim] = address
        seen[victim] = now
    }

    /// The VTEP `mac` was seen behind within `maxAge` seconds of `now`, or nil.
    @inline(__always)
    public func lookup(mac: UInt64, now: UInt32, maxAge: UInt32) -> UInt32? {
        let key = mac | Self.present
        let start = Self.home(mac)
        for step in 0..<Self.probeLength {
            let i = (start &+ step) & (Self.capacity &- 1)
            let k = keys[i]
            if k == 0 { return nil }
            if k == key { return now &- seen[i] <= maxAge ? addresses[i] : nil }
        }
        return nil
    }

    /// Every entry seen within `maxAge` seconds (cold: snapshots for `yardctl fdb show`).
    public func entries(now: UInt32, maxAge: UInt32) -> [(mac: UInt64, address: UInt32)] {
        var out: [(mac: UInt64, address: UInt32)] = []
        for i in 0..<Self.capacity where keys[i] != 0 && now &- seen[i] <= maxAge {
            out.append((keys[i] & 0xFFFF_FFFF_FFFF, addresses[i]))
        }
        return out
    }

    /// Forgets everything (the port's settings changed).
    public func removeAll() {
        keys.update(repeating: 0, count: Self.capacity)
    }
}
