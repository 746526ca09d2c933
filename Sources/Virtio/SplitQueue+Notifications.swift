import CSwitchyard

/// Kick suppression: while the engine busy-polls it tells the driver not to kick; before it
/// sleeps on the kick eventfd it re-enables kicks and re-checks the ring.
extension SplitQueue {
    /// EVENT_IDX: stop advancing avail_event (the driver kicks only when crossing it, which it
    /// already has). Otherwise: set VRING_USED_F_NO_NOTIFY. Both are hints the driver may ignore.
    public func disableNotifications() {
        state.pointee.notificationsEnabled = false
        if !eventIndex {
            csy_store_relaxed_u16(used, SplitRing.usedFlagNoNotify.littleEndian)
        }
        logNotificationStore()
    }

    /// Re-enables kicks, then re-reads avail.idx after a full fence: returns true if buffers are
    /// already available (the driver may have added them while kicks were off and not kicked),
    /// in which case the caller must poll again instead of sleeping.
    @discardableResult
    public func enableNotifications() -> Bool {
        let s = state
        s.pointee.notificationsEnabled = true
        if eventIndex {
            csy_store_relaxed_u16(used + SplitRing.availEventOffset(queueSize: Int(size)), s.pointee.lastAvail.littleEndian)
        } else {
            csy_store_relaxed_u16(used, 0)
        }
        logNotificationStore()
        // Our store must be visible before we read avail.idx (StoreLoad), or a buffer added in
        // between is missed by both sides.
        csy_fence_seq_cst()
        guard !s.pointee.broken, refreshAvailIndex() else { return false }
        return s.pointee.cachedAvail != s.pointee.lastAvail
    }
}
