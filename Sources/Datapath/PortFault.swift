// Stand-in (helper "noblock"): the real enum comes from helper "faults" at merge; only the cases
// this branch raises are here.

/// Why a port was failed: its front-end did something that would have hurt the engine.
public enum PortFault: Equatable, Sendable {
    /// A call notification would have blocked the engine thread (docs/never-blocking.md).
    case notificationBlocked
    /// A kick drain would have blocked the engine thread (docs/never-blocking.md).
    case kickBlocked
}
