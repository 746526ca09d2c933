extension ForwardingDatabase {
    /// Empties slot `hole`, then walks the rest of its cluster moving back every entry whose home
    /// slot does not lie cyclically in (hole, j]: the backward shift that keeps every entry
    /// reachable from its home without tombstones.
    @usableFromInline
    func removeSlot(_ index: Int) {
        let victim = slots[index]
        if victim.isStatic {
            staticPerPort[Int(victim.port)] -= 1
            staticCount -= 1
        } else {
            dynamicPerPort[Int(victim.port)] -= 1
            dynamicCount -= 1
        }
        var hole = index
        var j = index
        while true {
            j = (j &+ 1) & slotMask
            let k = slots[j].key
            if k == 0 { break }
            let home = homeSlot(k)
            let homeInRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
            if !homeInRange {
                slots[hole] = slots[j]
                hole = j
            }
        }
        slots[hole] = .empty
    }

    /// Removes one entry, static or dynamic. Returns whether it existed.
    @discardableResult
    public func remove(vlan: UInt16, mac: MACAddress) -> Bool {
        let i = findSlot(FDBSlot.key(vlan: vlan, mac: mac))
        guard i >= 0 else { return false }
        removeSlot(i)
        return true
    }

    /// The aging sweep: removes dynamic entries not seen for `agingTime` seconds. Call about once
    /// a second; the cost is one pass over the slots. Returns how many expired.
    @discardableResult
    public func expire(now: UInt32) -> Int {
        let aging = agingTime
        guard aging != 0, dynamicCount > 0 else { return 0 }
        var removed = 0
        var i = 0
        while i <= slotMask {
            let s = slots[i]
            // A removal shifts a later entry into slot i, so look at i again before moving on.
            // Entries only ever shift towards the sweep position, never behind it.
            if s.key != 0 && !s.isStatic && now &- s.lastSeen >= aging {
                removeSlot(i)
                removed += 1
                continue
            }
            i += 1
        }
        stats.expired &+= UInt64(removed)
        return removed
    }

    /// Removes the entries on `port` (dynamic only unless `includeStatic`).
    @discardableResult
    public func flush(port: UInt16, includeStatic: Bool = false) -> Int {
        removeEntries(FlushFilter(port: port, vlan: nil, keep: nil, includeStatic: includeStatic))
    }

    /// Removes the entries in `vlan` (dynamic only unless `includeStatic`).
    @discardableResult
    public func flush(vlan: UInt16, includeStatic: Bool = false) -> Int {
        removeEntries(FlushFilter(port: nil, vlan: vlan, keep: nil, includeStatic: includeStatic))
    }

    /// Removes the entries on `port` in `vlan` (dynamic only unless `includeStatic`): what
    /// `yardctl fdb flush --port P --vlan V` means, and no more.
    @discardableResult
    public func flush(port: UInt16, vlan: UInt16, includeStatic: Bool = false) -> Int {
        removeEntries(FlushFilter(port: port, vlan: vlan, keep: nil, includeStatic: includeStatic))
    }

    /// Removes every entry (dynamic only unless `includeStatic`).
    @discardableResult
    public func flushAll(includeStatic: Bool = false) -> Int {
        removeEntries(FlushFilter(port: nil, vlan: nil, keep: nil, includeStatic: includeStatic))
    }

    /// Removes the entries on `port`, static ones included, whose VLAN is not in `keeping`:
    /// what a port mode change leaves invalid.
    @discardableResult
    public func flush(port: UInt16, exceptVLANs keeping: VLANSet) -> Int {
        removeEntries(FlushFilter(port: port, vlan: nil, keep: keeping, includeStatic: true))
    }

    struct FlushFilter {
        var port: UInt16?
        var vlan: UInt16?
        var keep: VLANSet?
        var includeStatic: Bool

        func matches(_ s: FDBSlot) -> Bool {
            if s.isStatic && !includeStatic { return false }
            if let port, s.port != port { return false }
            if let vlan, s.vlan != vlan { return false }
            if let keep, keep.contains(s.vlan) { return false }
            return true
        }
    }

    func removeEntries(_ filter: FlushFilter) -> Int {
        var removed = 0
        var i = 0
        while i <= slotMask {
            let s = slots[i]
            if s.key != 0 && filter.matches(s) {
                removeSlot(i)
                removed += 1
                continue
            }
            i += 1
        }
        stats.flushed &+= UInt64(removed)
        return removed
    }
}
