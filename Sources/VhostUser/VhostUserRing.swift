import LinuxIO

/// The back-end's record of one ring between messages (docs/vhost-user-protocol.md#ring-state).
/// Pointers are not kept here: they are derived from the memory table each time the ring starts, so a
/// table change can never leave a stale pointer behind.
struct VhostUserRing {
    var size: Int = 0
    var address: VringAddress?
    /// The available index to resume from (SET_VRING_BASE, or what the datapath returned at stop).
    var base: UInt16 = 0
    /// SET_VRING_BASE's value as the front-end sent it: a packed ring's journal entry is trusted
    /// only while the front-end keeps sending the same (PackedRingJournal).
    var frontEndBase: UInt32 = 0
    /// SET_VRING_KICK arrived (with an fd, or NOFD = poll mode). GET_VRING_BASE clears it.
    var kickInstalled = false
    var kick: EventFD?
    var call: EventFD?
    var error: EventFD?
    var enabled = false
    /// The delegate holds this ring (between ringStarted and ringStopping).
    var started = false
}
