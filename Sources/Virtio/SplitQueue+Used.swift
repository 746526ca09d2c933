import CSwitchyard

extension SplitQueue {
    /// Writes the used element {head, length} into the next used slot. Invisible to the guest
    /// until `publishUsed()`. Heads outside the ring are ignored (they cannot come from a pop).
    @inlinable @inline(__always)
    public func pushUsed(head: UInt16, length: UInt32) {
        guard head < size else { return }
        let s = state
        let element = used + 4 + 8 * Int(s.pointee.usedIndex & mask)
        element.storeBytes(of: UInt32(head).littleEndian, as: UInt32.self)
        element.storeBytes(of: length.littleEndian, toByteOffset: 4, as: UInt32.self)
        s.pointee.usedIndex &+= 1
    }

    /// `pushUsed(head:length: 0)` for the first `count` chains of the last `popAvailable`, in
    /// order: how TX returns a burst. The used index stays in a register and each element is one
    /// 8-byte store (id, len 0); per element `pushUsed` reloads and stores the index, since its
    /// element stores could alias the queue's state for all the optimizer knows.
    @inlinable @inline(__always)
    public func pushUsedTransmitted(count: Int) {
        let s = state
        let chains = chainStorage
        let ring = used + 4
        let size = self.size
        let mask = self.mask
        var index = s.pointee.usedIndex
        for i in 0..<min(count, s.pointee.cursor.chainCount) {
            let head = chains[i].head
            guard head < size else { continue }
            // Little-endian: id in bytes 0-3, len (0) in bytes 4-7.
            (ring + 8 &* Int(index & mask)).storeBytes(of: UInt64(head).littleEndian, as: UInt64.self)
            index &+= 1
        }
        s.pointee.usedIndex = index
    }

    /// Makes every element pushed since the last publish visible with one release store of
    /// used.idx (element writes and packet data become visible before the index). Returns how many.
    @discardableResult
    public func publishUsed() -> Int {
        let s = state
        let new = s.pointee.usedIndex
        let old = s.pointee.publishedUsed
        guard new != old else { return 0 }
        csy_store_release_u16(used + 2, new.littleEndian)
        s.pointee.publishedUsed = new
        if let log = dirtyLog { logPublished(from: old, to: new, log) }
        // libvhost-user's rule: if signalledUsed now lies inside the window just published, 16-bit
        // wrap-around makes vring_need_event meaningless; force the next notification instead.
        if Int(Int16(bitPattern: new &- s.pointee.signalledUsed)) < Int(new &- old) {
            s.pointee.signalledUsedValid = false
        }
        return Int(new &- old)
    }

    /// Whether the guest wants an interrupt (call eventfd) for what has been published. Call once
    /// per burst after `publishUsed()`, and only write the call fd when this says so.
    /// EVENT_IDX: vring_need_event(used_event, new, signalledUsed); the first check after start or
    /// resync is unconditional. Otherwise: unless the driver set VRING_AVAIL_F_NO_INTERRUPT.
    public func needsNotification() -> Bool {
        // Our used.idx store must be visible before we read the driver's suppression state, or
        // both sides can decide the other will act (StoreLoad: needs a full fence).
        csy_fence_seq_cst()
        let s = state
        guard eventIndex else {
            let flags = UInt16(littleEndian: csy_load_relaxed_u16(avail))
            return flags & SplitRing.availFlagNoInterrupt == 0
        }
        let new = s.pointee.publishedUsed
        let old = s.pointee.signalledUsed
        let valid = s.pointee.signalledUsedValid
        s.pointee.signalledUsed = new
        s.pointee.signalledUsedValid = true
        if !valid { return true }
        let usedEvent = UInt16(littleEndian: csy_load_relaxed_u16(avail + SplitRing.usedEventOffset(queueSize: Int(size))))
        return SplitRing.needsEvent(event: usedEvent, new: new, old: old)
    }
}

extension SplitQueue {
    /// After a publish while logging (docs/dirty-log.md): marks the used elements `old..<new`, the
    /// used header (flags, idx) and avail_event at the ring's log address, then flushes the cache
    /// (the RX buffers' marks included) behind a release fence. A mark outside the log breaks the
    /// queue: the front-end's log does not cover what we write, and only its port pays.
    @usableFromInline @inline(never)
    func logPublished(from old: UInt16, to new: UInt16, _ log: UnsafeMutablePointer<csy_dirty_log>) {
        if let address = usedLogAddress {
            let count = Int(new &- old)
            let first = Int(old & mask)
            let firstRun = min(count, Int(size) &- first)
            csy_dirty_log_mark(log, address &+ UInt64(4 &+ 8 &* first), UInt64(8 &* firstRun))
            if count > firstRun { csy_dirty_log_mark(log, address &+ 4, UInt64(8 &* (count &- firstRun))) }
            logUsedHeader(log, address)
        }
        csy_dirty_log_flush(log)
        if log.pointee.out_of_bounds != 0 { state.pointee.broken = true }
    }

    /// flags and idx, and avail_event with EVENT_IDX: the used-ring fields other than elements.
    func logUsedHeader(_ log: UnsafeMutablePointer<csy_dirty_log>, _ address: UInt64) {
        csy_dirty_log_mark(log, address, 4)
        if eventIndex {
            csy_dirty_log_mark(log, address &+ UInt64(SplitRing.availEventOffset(queueSize: Int(size))), 2)
        }
    }

    /// After a notification-suppression store (used flags or avail_event) while logging.
    func logNotificationStore() {
        guard let log = dirtyLog, let address = usedLogAddress else { return }
        logUsedHeader(log, address)
        csy_dirty_log_flush(log)
        if log.pointee.out_of_bounds != 0 { state.pointee.broken = true }
    }
}
