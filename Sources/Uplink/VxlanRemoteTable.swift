/// Which remote VTEP an inner MAC was last seen behind, for a vxlan port's known-unicast
/// transmit (docs/vxlan-ports.md, "Learning"). The switch's FDB learns the MAC on the vxlan port
/// like on any port; this table only answers "which VTEP behind that port". Fixed size, open
/// addressing with a short probe, nothing allocated after init: a hostile underlay filling it
/// overwrites its own oldest entries, never grows memory. Engine thread only.
///
/// An EVPN control plane pins entries (`pin`): a pinned entry never ages, is never the victim of
/// an eviction, and traffic from another VTEP does not move it (BGP decides where a MAC is, with
/// its mobility sequence numbers; docs/vxlan-ports.md, "EVPN").
public final class VxlanRemoteTable {
    public static let capacity = 4096
    /// A probe this long finds a slot or evicts the oldest in it.
    static let probeLength = 8
    private static let bits = 12
    /// MAC (48 bits) | `present` (| `pinned`); 0 = empty.
    private let keys: UnsafeMutablePointer<UInt64>
    /// IPv4, network byte order.
    private let addresses: UnsafeMutablePointer<UInt32>
    private let seen: UnsafeMutablePointer<UInt32>
    private static let present: UInt64 = 1 << 63
    private static let pinned: UInt64 = 1 << 62

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
            if k == key | Self.pinned { return }
            if k & Self.pinned == 0 && seen[i] < oldest {
                oldest = seen[i]
                victim = i
            }
        }
        // Eight pinned entries in a row: nowhere to learn (the control plane's entries stay).
        guard keys[victim] & Self.pinned == 0 else { return }
        keys[victim] = key
        addresses[victim] = address
        seen[victim] = now
    }

    /// Pins `mac` to `address` (an EVPN type-2 route): replaces a learned entry for it, else takes
    /// an empty or the oldest learned slot of its probe. False when the probe holds only pinned
    /// entries (a table this full of routes is refused, not grown).
    @discardableResult
    public func pin(mac: UInt64, address: UInt32) -> Bool {
        let key = mac | Self.present
        let start = Self.home(mac)
        var victim: Int?
        var oldest = UInt32.max
        for step in 0..<Self.probeLength {
            let i = (start &+ step) & (Self.capacity &- 1)
            let k = keys[i]
            if k & ~Self.pinned == key || k == 0 {
                victim = i
                break
            }
            if k & Self.pinned == 0 && seen[i] < oldest {
                oldest = seen[i]
                victim = i
            }
        }
        guard let i = victim else { return false }
        keys[i] = key | Self.pinned
        addresses[i] = address
        seen[i] = 0
        return true
    }

    /// Unpins `mac` (its route was withdrawn): the entry is forgotten, though its slot stays taken
    /// (address 0: never an answer) so the probe of the keys after it is unbroken; learning reuses it.
    public func unpin(mac: UInt64) {
        let key = mac | Self.present | Self.pinned
        let start = Self.home(mac)
        for step in 0..<Self.probeLength {
            let i = (start &+ step) & (Self.capacity &- 1)
            if keys[i] == key {
                keys[i] = mac | Self.present
                addresses[i] = 0
                seen[i] = 0
                return
            }
        }
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
            if k == key { return now &- seen[i] <= maxAge && addresses[i] != 0 ? addresses[i] : nil }
            if k == key | Self.pinned { return addresses[i] }
        }
        return nil
    }

    /// Every entry seen within `maxAge` seconds (cold: snapshots for `yardctl fdb show`).
    public func entries(now: UInt32, maxAge: UInt32) -> [(mac: UInt64, address: UInt32)] {
        var out: [(mac: UInt64, address: UInt32)] = []
        for i in 0..<Self.capacity where keys[i] != 0 && addresses[i] != 0
            && (keys[i] & Self.pinned != 0 || now &- seen[i] <= maxAge) {
            out.append((keys[i] & 0xFFFF_FFFF_FFFF, addresses[i]))
        }
        return out
    }

    /// Forgets everything (the port's settings changed).
    public func removeAll() {
        keys.update(repeating: 0, count: Self.capacity)
    }
}
