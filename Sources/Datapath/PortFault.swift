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

    /// As `yardctl ports` shows it: `broken (guest-memory-fault)`.
    public var name: String { rawValue }
}
