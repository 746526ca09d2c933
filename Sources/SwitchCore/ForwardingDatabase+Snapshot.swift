extension ForwardingDatabase {
    /// Every entry, sorted by VLAN, then MAC. Control plane only: allocates.
    public func entries(now: UInt32) -> [FDBEntry] {
        var out = copyEntries(now: now)
        out.sort { ($0.vlan, $0.mac) < ($1.vlan, $1.mac) }
        return out
    }

    /// The entry for one address, if any.
    public func entry(vlan: UInt16, mac: MACAddress, now: UInt32) -> FDBEntry? {
        let i = findSlot(FDBSlot.key(vlan: vlan, mac: mac))
        guard i >= 0 else { return nil }
        let s = slots[i]
        return FDBEntry(vlan: s.vlan, mac: s.mac, port: s.port,
                        age: s.isStatic ? .static : .dynamic(seconds: now &- s.lastSeen))
    }

    /// Longest probe sequence in the table (diagnostics and tests of the hash's spread).
    public var longestProbe: Int {
        var longest = 0
        for i in 0...slotMask where slots[i].key != 0 {
            let home = homeSlot(slots[i].key)
            longest = Swift.max(longest, (i &- home) & slotMask)
        }
        return longest + 1
    }
}
