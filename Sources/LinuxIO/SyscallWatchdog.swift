import CSwitchyard

/// Interrupts one thread's guarded eventfd calls that sleep too long (docs/never-blocking.md).
///
/// A front-end shares the open file description of every eventfd it hands us, so it can make our
/// `write` of a call notification sleep (clear O_NONBLOCK, fill the counter to 2^64 - 2), and the
/// kernel offers no per-call non-blocking write for eventfds (`pwritev2(RWF_NOWAIT)` is
/// EOPNOTSUPP). The guarded thread brackets each such call with a marker (two plain stores); a
/// watchdog thread that finds the same marker on `stuckTicks + 1` consecutive ticks sends the
/// thread a signal installed without SA_RESTART, and the call returns `.blocked`.
public final class SyscallWatchdog: @unchecked Sendable {
    public let raw: OpaquePointer

    /// Default: a 10 ms tick, interrupt after the same call was seen on 3 ticks (20-30 ms).
    public init(tickMicroseconds: UInt32 = 10_000, stuckTicks: UInt32 = 2) {
        guard let w = csy_watchdog_create(tickMicroseconds, stuckTicks) else {
            fatalError("out of memory allocating the syscall watchdog")
        }
        raw = w
    }

    deinit { csy_watchdog_destroy(raw) }

    /// On the thread to guard: starts the watchdog thread aimed at the caller.
    public func attach() throws(Errno) {
        let rc = csy_watchdog_attach(raw)
        guard rc == 0 else { throw Errno(rc) }
    }

    /// Stops the watchdog thread (any thread).
    public func detach() { csy_watchdog_detach(raw) }

    /// Around a sleep of the guarded thread (it makes no guarded call there): the watchdog parks.
    @inline(__always) public func sleeping() { csy_watchdog_sleeping(raw) }
    @inline(__always) public func awake() { csy_watchdog_awake(raw) }

    /// Interrupts sent so far.
    public var interrupts: UInt64 { csy_watchdog_interrupts(raw) }
}

/// What a guarded eventfd signal or drain did.
public enum EventFDOutcome: Equatable, Sendable {
    case done
    /// Signal: the counter is full on a non-blocking fd. Drain: nothing was pending.
    case wouldBlock
    /// The call would have slept (or did, until the watchdog interrupted it): the front-end
    /// tampered with the shared file description.
    case blocked
    case failed

    @inline(__always)
    init(_ code: Int32) {
        switch code {
        case Int32(CSY_EVENTFD_OK): self = .done
        case Int32(CSY_EVENTFD_AGAIN): self = .wouldBlock
        case Int32(CSY_EVENTFD_BLOCKED): self = .blocked
        default: self = .failed
        }
    }
}

extension EventFD {
    /// Adds 1 to the counter and never sleeps longer than `watchdog` allows (unguarded when nil,
    /// e.g. a test driving the engine on its own thread).
    @inline(__always)
    public func signal(guardedBy watchdog: SyscallWatchdog?, tag: UInt32 = 0) -> EventFDOutcome {
        EventFDOutcome(csy_watchdog_eventfd_signal(watchdog?.raw, rawValue, tag))
    }

    /// Drains without sleeping, whatever the front-end did to O_NONBLOCK: `.done` with a count,
    /// `.wouldBlock` when nothing was pending, `.blocked` when nothing was pending and the
    /// description had been made blocking (a plain `read` would have slept there).
    public func drainWithoutBlocking(guardedBy watchdog: SyscallWatchdog?) -> EventFDOutcome {
        var value: UInt64 = 0
        return EventFDOutcome(csy_watchdog_eventfd_drain(watchdog?.raw, rawValue, &value))
    }
}
