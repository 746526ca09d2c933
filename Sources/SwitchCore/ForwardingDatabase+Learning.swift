extension ForwardingDatabase {
    /// Records that `mac` sent a frame in `vlan` on `port` at `now`. The hot path: a known
    /// address on its own port costs one probe and, at most once a second, one store.
    @inline(__always)
    @discardableResult
    public func learn(vlan: UInt16, mac: MACAddress, port: UInt16, now: UInt32) -> LearnOutcome {
        let key = FDBSlot.key(vlan: vlan, mac: mac)
        var i = homeSlot(key)
        while true {
            let k = slots[i].key
            if k == 0 { break }
            if k == key {
                if slots[i].port == port {
                    // Skip the store when unchanged: keeps the line clean for other readers.
                    if slots[i].lastSeen != now { slots[i].lastSeen = now }
                    return .refreshed
                }
                return move(slot: i, to: port, now: now)
            }
            i = (i &+ 1) & slotMask
        }
        return insertNew(key: key, emptySlot: i, port: port, now: now)
    }

    /// `learn` for the burst loop: `memo` is the slot the previous frame's source was found in.
    /// A burst from one port mostly repeats one source, so the memo usually saves the hash and
    /// the probe. It is only a guess: the slot must still hold this key (keys are unique, and a
    /// move, insert or eviction earlier in the burst may have shifted entries), else the full
    /// probe runs and refreshes the memo. `memo` must be a valid slot index (start with 0).
    @inline(__always)
    func learn(key: UInt64, port: UInt16, now: UInt32, memo: inout Int) -> LearnOutcome {
        let m = memo
        if slots[m].key == key && slots[m].port == port {
            if slots[m].lastSeen != now { slots[m].lastSeen = now }
            return .refreshed
        }
        var i = homeSlot(key)
        while true {
            let k = slots[i].key
            if k == 0 { break }
            if k == key {
                memo = i
                if slots[i].port == port {
                    if slots[i].lastSeen != now { slots[i].lastSeen = now }
                    return .refreshed
                }
                return move(slot: i, to: port, now: now)
            }
            i = (i &+ 1) & slotMask
        }
        return insertNew(key: key, emptySlot: i, port: port, now: now)
    }

    @inline(never)
    func move(slot i: Int, to port: UInt16, now: UInt32) -> LearnOutcome {
        guard !slots[i].isStatic else { return .pinnedByStatic }
        guard Int(port) < maxPorts else { return .rejected }
        let p = Int(port)
        // An address owned by a port with an allow-list moves only to another port whose
        // allow-list admitted it (classifyGuarded checked before learning): docs/port-security.md.
        if slots[i].flags & FDBSlot.securedFlag != 0 && securedPerPort[p] == 0 {
            stats.securityRefusals &+= 1
            return .securedElsewhere
        }
        // A move adds an address to the new port, so the new port's limit applies.
        if limitPerPort[p] != 0 && dynamicPerPort[p] >= limitPerPort[p] {
            stats.limitRefusals &+= 1
            return .limitReached
        }
        dynamicPerPort[Int(slots[i].port)] -= 1
        dynamicPerPort[p] += 1
        slots[i].port = port
        slots[i].lastSeen = now
        slots[i].flags = securedPerPort[p] != 0 ? FDBSlot.securedFlag : 0
        stats.moved &+= 1
        movesPerPort[p] &+= 1
        return .moved
    }

    @inline(never)
    func insertNew(key: UInt64, emptySlot: Int, port: UInt16, now: UInt32) -> LearnOutcome {
        let vlan = UInt16(truncatingIfNeeded: key >> 48)
        guard Int(port) < maxPorts, VLANSet.validRange.contains(vlan),
              !MACAddress(rawValue: key).isMulticast else { return .rejected }
        let p = Int(port)
        if limitPerPort[p] != 0 && dynamicPerPort[p] >= limitPerPort[p] {
            stats.limitRefusals &+= 1
            return .limitReached
        }
        var slot = emptySlot
        if count >= capacity {
            guard evictOne(now: now) else {
                stats.learnFailures &+= 1
                return .tableFull
            }
            // The backward shift may have filled the slot we found; probe again.
            slot = firstEmptySlot(from: homeSlot(key))
        }
        slots[slot] = FDBSlot(key: key, lastSeen: now, port: port,
                              flags: securedPerPort[p] != 0 ? FDBSlot.securedFlag : 0)
        dynamicPerPort[p] += 1
        dynamicCount += 1
        stats.learned &+= 1
        return .learned
    }

    @inline(__always)
    func firstEmptySlot(from start: Int) -> Int {
        var i = start
        while slots[i].key != 0 { i = (i &+ 1) & slotMask }
        return i
    }

    /// Removes one dynamic entry of the port with the most dynamic entries (ties: lowest index).
    /// Of the first two of that port's entries met from a rotating cursor, the less recently
    /// seen goes — sampled LRU, bounded work even under a MAC flood.
    func evictOne(now: UInt32) -> Bool {
        var victimPort = -1
        var most: UInt32 = 0
        for p in 0..<maxPorts where dynamicPerPort[p] > most {
            most = dynamicPerPort[p]
            victimPort = p
        }
        guard victimPort >= 0 else { return false }
        let samples = 2
        var found = 0
        var best = -1
        var bestAge: UInt32 = 0
        var i = evictionCursor & slotMask
        for _ in 0...slotMask {
            let s = slots[i]
            if s.key != 0 && !s.isStatic && Int(s.port) == victimPort {
                let age = now &- s.lastSeen
                if best < 0 || age > bestAge {
                    best = i
                    bestAge = age
                }
                found += 1
                if found == samples { break }
            }
            i = (i &+ 1) & slotMask
        }
        guard best >= 0 else { return false }
        evictionCursor = (i &+ 1) & slotMask
        removeSlot(best)
        stats.evicted &+= 1
        return true
    }
}
