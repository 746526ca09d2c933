extension ForwardingDatabase {
    /// Pins `mac` in `vlan` to `port`. Replaces any entry for the address (a learned one becomes
    /// static). Static entries never age, never move, are never evicted and do not count against
    /// the port's MAC limit; they do count against the global capacity, and adding one to a full
    /// table evicts a dynamic entry.
    public func addStatic(vlan: UInt16, mac: MACAddress, port: UInt16, now: UInt32 = 0) throws(FDBError) {
        guard VLANSet.validRange.contains(vlan) else { throw .invalidVLAN(vlan) }
        guard Int(port) < maxPorts else { throw .portOutOfRange(port) }
        guard !mac.isMulticast else { throw .multicastAddress(mac) }
        let key = FDBSlot.key(vlan: vlan, mac: mac)
        let existing = findSlot(key)
        if existing >= 0 {
            removeSlot(existing)
        } else if count >= capacity {
            guard evictOne(now: now) else { throw .tableFull }
        }
        let slot = firstEmptySlot(from: homeSlot(key))
        slots[slot] = FDBSlot(key: key, lastSeen: now, port: port, flags: FDBSlot.staticFlag)
        staticPerPort[Int(port)] += 1
        staticCount += 1
    }

    /// Removes a static entry; a dynamic entry for the same address is left alone.
    @discardableResult
    public func removeStatic(vlan: UInt16, mac: MACAddress) -> Bool {
        let i = findSlot(FDBSlot.key(vlan: vlan, mac: mac))
        guard i >= 0, slots[i].isStatic else { return false }
        removeSlot(i)
        return true
    }

    /// Whether the entry for the address is static (nil if there is none).
    public func isStatic(vlan: UInt16, mac: MACAddress) -> Bool? {
        let i = findSlot(FDBSlot.key(vlan: vlan, mac: mac))
        return i < 0 ? nil : slots[i].isStatic
    }
}
