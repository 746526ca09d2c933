/// Why a port stopped being served: something its front-end did that would otherwise hurt the
/// daemon or the other ports. A broken port's rings are left alone until the front-end resets
/// them or reconnects (docs/port-faults.md).
public enum PortFault: String, CaseIterable, Sendable, Equatable {
    /// Its guest memory raised SIGBUS (the file behind a region was shrunk after we mapped it);
    /// the SIGBUS guard put zero pages over the mapping.
    case guestMemoryFault = "guest-memory-fault"
    /// Signalling its call eventfd would have blocked the engine.
    case notificationBlocked = "notification-blocked"
    /// Draining its kick eventfd would have blocked the engine.
    case kickBlocked = "kick-blocked"
    /// Its guest made one of its rings impossible to serve (an available index more than the ring
    /// size ahead, a head beyond the ring): the queue stopped itself (`SplitQueue.isBroken`), which
    /// virtio calls DEVICE_NEEDS_RESET. Found by the port's once-a-second housekeeping, so that it
    /// shows and signals SET_VRING_ERR instead of going silent (docs/red-team.md).
    case ringBroken = "ring-broken"
    /// Its front-end removed (REM_MEM_REG) a memory region one of its running rings lies in, so
    /// the ring cannot be served in the new table
    /// (docs/memory-hotplug-and-reconnect.md#removing-memory-under-a-ring).
    case ringMemoryRemoved = "ring-memory-removed"
    /// Its front-end's dirty log (live migration) did not cover a page the switch wrote: a log
    /// smaller than its guest memory, or a used-ring log address past its end. The mark is never
    /// written outside the log; the queue stopped itself (docs/dirty-log.md).
    case dirtyLogFault = "dirty-log-fault"

    /// As `yardctl ports` shows it: `broken (guest-memory-fault)`.
    public var name: String { rawValue }
}
