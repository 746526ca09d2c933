import CSwitchyard

/// Kick suppression through the device event area (§2.8.10): DISABLE while the engine polls;
/// before it sleeps, ENABLE, or with EVENT_IDX DESC at the next slot we will look at.
extension PackedQueue {
    public func disableNotifications() {
        state.pointee.notificationsEnabled = false
        csy_store_release_u16(deviceEvent + 2, PackedRing.eventDisable.littleEndian)
        logNotificationStore()
    }

    /// Re-enables kicks, then looks at the next slot after a full fence: true if a buffer is
    /// already available (the driver may have added it while kicks were off and not kicked).
    @discardableResult
    public func enableNotifications() -> Bool {
        let s = state
        s.pointee.notificationsEnabled = true
        if eventIndex {
            csy_store_relaxed_u16(deviceEvent,
                                  PackedRing.encode(index: s.pointee.lastAvail, wrap: s.pointee.availWrap).littleEndian)
            csy_store_release_u16(deviceEvent + 2, PackedRing.eventDescriptor.littleEndian)
        } else {
            csy_store_release_u16(deviceEvent + 2, PackedRing.eventEnable.littleEndian)
        }
        logNotificationStore()
        // StoreLoad: our flags before the driver's descriptor, or a buffer added in between is
        // missed by both sides.
        csy_fence_seq_cst()
        guard !s.pointee.broken else { return false }
        return isAvailable(slot: s.pointee.lastAvail, wrap: s.pointee.availWrap)
    }
}
