import CSwitchyard

extension PackedQueue {
    /// Writes the used descriptor {id, len} at the next used slot and moves the used index past
    /// the `span` ring descriptors its chain took (§2.8.7: the driver skips as many). id and len
    /// first, then flags with release (AVAIL and USED both equal to the used wrap counter, WRITE
    /// when the device wrote into the buffer: §2.8.7 has the driver ignore len otherwise): the
    /// frame bytes and the id are visible before the descriptor reads as used.
    ///
    /// The first descriptor after a publish keeps its flags back until `publishUsed()`
    /// (`PackedQueueState.holding`): the driver reads used descriptors in ring order, so the whole
    /// batch becomes visible at once, as a split ring's used.idx store does. Written one by one,
    /// DPDK's driver picked them up a frame or two at a time, each pickup pulling the descriptor
    /// cache line we were writing (docs/packed-rings.md, "Cost").
    ///
    /// The one place a packed ring's used side writes guest memory (the device event area is the
    /// other, a hint). While logging, the slots written here are marked at publish, not per
    /// descriptor (`logWrittenBack`): nothing is added to this path.
    ///
    /// Around the descriptor, the progress record (`PackedRingProgress`): what is being written
    /// before it, where the written batch ends after it, so a kill at any instruction leaves a
    /// record a restarted back-end can finish the batch from.
    @inlinable @inline(__always)
    func pushUsed(id: UInt16, length: UInt32, span: UInt16) {
        let s = state
        let wrap = s.pointee.usedWrap
        let d = ring + Int(s.pointee.usedIndex) &* PackedRing.descriptorSize
        var end = s.pointee.usedIndex
        var endWrap = wrap
        advance(&end, &endWrap, by: max(1, span))
        let endCode = PackedRing.encode(index: end, wrap: endWrap)
        progress.storeBytes(of: UInt64(endCode) | UInt64(id) << 16 | UInt64(length) << 32,
                            toByteOffset: 8, as: UInt64.self)
        csy_signal_fence()
        d.storeBytes(of: length.littleEndian, toByteOffset: 8, as: UInt32.self)
        d.storeBytes(of: id.littleEndian, toByteOffset: 12, as: UInt16.self)
        var flags: UInt16 = wrap ? PackedRing.flagAvail | PackedRing.flagUsed : 0
        if length > 0 { flags |= PackedRing.flagWrite }
        // A select, not a branch: the first of a batch goes to `heldFlags`, the rest to the ring.
        let unpublished = s.pointee.unpublished
        let held = withUnsafeMutablePointer(to: &s.pointee.heldFlags) { UnsafeMutableRawPointer($0) }
        csy_store_release_u16(unpublished == 0 ? held : d + 14, flags.littleEndian)
        s.pointee.usedIndex = end
        s.pointee.usedWrap = endWrap
        csy_signal_fence()
        progress.storeBytes(of: endCode, toByteOffset: 2, as: UInt16.self)
        s.pointee.unpublished = unpublished &+ 1
    }

    /// Makes the held descriptor (and with it every one written after it) visible to the driver,
    /// and starts the next batch at the used index.
    @inlinable @inline(__always)
    func revealHeld() {
        let s = state
        if s.pointee.unpublished > 0 {
            csy_store_release_u16(ring + (Int(s.pointee.batchStart) &* PackedRing.descriptorSize &+ 14),
                                  s.pointee.heldFlags.littleEndian)
        }
        s.pointee.batchStart = s.pointee.usedIndex
    }

    /// The first `count` chains of the last `popAvailable`, in order, with length 0. With IN_ORDER,
    /// as one used descriptor: the last chain's id at the first chain's slot, the used index moved
    /// past them all (virtio 1.1 §2.8.20: the driver then knows every buffer before it is done).
    /// DPDK's in-order TX cleanup frees up to that id; the descriptor lines of the burst stay
    /// unwritten by us, so the driver refills them without pulling them back from our cache
    /// (docs/packed-rings.md, "Cost").
    @inlinable @inline(__always)
    public func pushUsedTransmitted(count: Int) {
        let chains = chainStorage
        let spans = ringSpans
        let n = min(count, state.pointee.cursor.chainCount)
        if inOrder {
            guard n > 0 else { return }
            var span = 0
            for i in 0..<n { span &+= Int(spans[i]) }
            pushUsed(id: chains[n &- 1].head, length: 0, span: UInt16(truncatingIfNeeded: span))
            return
        }
        for i in 0..<n {
            pushUsed(id: chains[i].head, length: 0, span: spans[i])
        }
    }

    /// Makes the batch written since the last publish visible (the held first descriptor's flags,
    /// a release store after all the others), closes it for `needsNotification` and returns how
    /// many it held.
    @discardableResult
    public func publishUsed() -> Int {
        revealHeld()
        csy_signal_fence()
        progress.storeBytes(of: PackedRing.encode(index: state.pointee.usedIndex, wrap: state.pointee.usedWrap),
                            toByteOffset: 0, as: UInt16.self)
        let n = state.pointee.unpublished
        state.pointee.unpublished = 0
        // Not `n > 0`: the count stays dead for TX, whose caller discards it, so its per-descriptor
        // increments fold away (2 instructions per frame otherwise); logPublished checks itself.
        if let log = dirtyLog { logPublished(log) }
        return n
    }

    /// Whether the driver wants an interrupt for what was written since the last one, from the
    /// driver event area (§2.8.10): ENABLE yes, DISABLE no, DESC (EVENT_IDX) only if the used
    /// descriptor it names was written since the last interrupt. The first check after start is
    /// unconditional, as for split rings.
    public func needsNotification() -> Bool {
        // Our used descriptors must be visible before we read the driver's suppression (StoreLoad).
        csy_fence_seq_cst()
        let s = state
        let flags = UInt16(littleEndian: csy_load_acquire_u16(driverEvent + 2)) & 3
        let new = s.pointee.usedIndex
        let newWrap = s.pointee.usedWrap
        let old = s.pointee.signalledUsed
        let oldWrap = s.pointee.signalledWrap
        let valid = s.pointee.signalledUsedValid
        s.pointee.signalledUsed = new
        s.pointee.signalledWrap = newWrap
        s.pointee.signalledUsedValid = true
        guard eventIndex, flags == PackedRing.eventDescriptor else { return flags != PackedRing.eventDisable }
        if !valid { return true }
        guard new != old || newWrap != oldWrap else { return false }
        let offWrap = UInt16(littleEndian: csy_load_relaxed_u16(driverEvent))
        return PackedQueue.needsEvent(offWrap: offWrap, new: new, newWrap: newWrap, old: old, oldWrap: oldWrap,
                                      size: size)
    }

    /// vring_need_event over ring slots with wrap counters: place `old`, `new` and the event slot
    /// on one line (a slot in the previous lap counts `size` less) and ask whether the event lies in
    /// (old, new]. Everything published since the last interrupt fits in one lap.
    @inlinable
    static func needsEvent(offWrap: UInt16, new: UInt16, newWrap: Bool, old: UInt16, oldWrap: Bool,
                           size: UInt16) -> Bool {
        let n = Int(new)
        let o = oldWrap == newWrap ? Int(old) : Int(old) - Int(size)
        let eventSlot = Int(offWrap & ~PackedRing.wrapBit)
        let e = (offWrap & PackedRing.wrapBit != 0) == newWrap ? eventSlot : eventSlot - Int(size)
        return e >= o && e < n
    }
}

extension PackedQueue {
    /// After a publish while logging (docs/dirty-log.md, "Packed rings"): marks the descriptor
    /// slots written back since the last publish and, when the RX path advanced it, the device
    /// event area, then flushes the cache (the RX buffers' marks included) behind a release fence.
    /// A mark outside the log breaks the queue; only its port pays.
    @usableFromInline @inline(never)
    func logPublished(_ log: UnsafeMutablePointer<csy_dirty_log>) {
        let s = state
        guard s.pointee.loggedUsed != s.pointee.usedIndex || s.pointee.loggedWrap != s.pointee.usedWrap else { return }
        logWrittenBack(log)
        // updateAvailEvent stores off_wrap per frame under exactly these conditions.
        if eventIndex, s.pointee.notificationsEnabled, let address = eventLogAddress {
            csy_dirty_log_mark(log, address, UInt64(PackedRing.eventAreaBytes))
        }
        csy_dirty_log_flush(log)
        if log.pointee.out_of_bounds != 0 { s.pointee.broken = true }
    }

    /// Marks the ring slots from the last logged used position up to the used index (one lap at
    /// most: the device never writes past what the driver made available) at the descriptor
    /// ring's guest-physical address. A chain of several descriptors takes several slots of which
    /// only the first is written; its others are marked too (the same or the next page, and it
    /// keeps this to two marks per burst).
    func logWrittenBack(_ log: UnsafeMutablePointer<csy_dirty_log>) {
        let s = state
        let old = Int(s.pointee.loggedUsed)
        let new = Int(s.pointee.usedIndex)
        let count = s.pointee.loggedWrap == s.pointee.usedWrap ? new &- old : Int(size) &- old &+ new
        s.pointee.loggedUsed = s.pointee.usedIndex
        s.pointee.loggedWrap = s.pointee.usedWrap
        guard let address = ringLogAddress, count > 0 else { return }
        let firstRun = min(count, Int(size) &- old)
        let bytes = UInt64(PackedRing.descriptorSize)
        csy_dirty_log_mark(log, address &+ UInt64(old) &* bytes, UInt64(firstRun) &* bytes)
        if count > firstRun { csy_dirty_log_mark(log, address, UInt64(count &- firstRun) &* bytes) }
    }

    /// After a notification-suppression store (device event area) while logging.
    func logNotificationStore() {
        guard let log = dirtyLog, let address = eventLogAddress else { return }
        csy_dirty_log_mark(log, address, UInt64(PackedRing.eventAreaBytes))
        csy_dirty_log_flush(log)
        if log.pointee.out_of_bounds != 0 { state.pointee.broken = true }
    }
}
