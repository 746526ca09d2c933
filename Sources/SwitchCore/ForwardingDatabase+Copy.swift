extension ForwardingDatabase {
    /// Every entry in slot order, unsorted: the part of `yardctl fdb show` that must run on the
    /// thread owning the table, kept to one pass and one allocation so that a large table holds
    /// the forwarding loop up for as short a time as possible. Sorting, filtering and formatting
    /// happen on the reader's thread (docs/engine-snapshots.md). Control plane only: allocates.
    public func copyEntries(now: UInt32) -> [FDBEntry] {
        var out: [FDBEntry] = []
        out.reserveCapacity(count)
        for i in 0...slotMask {
            let s = slots[i]
            guard s.key != 0 else { continue }
            let age: FDBEntry.Age = s.isStatic ? .static : .dynamic(seconds: now &- s.lastSeen)
            out.append(FDBEntry(vlan: s.vlan, mac: s.mac, port: s.port, age: age))
        }
        return out
    }
}
