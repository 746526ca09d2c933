import CSwitchyard
import GuestMemory
import Logging
import Synchronization
import VhostUser

/// What the port knows about its faults (engine thread only).
struct PortFaultRecord {
    /// Recorded by `fail`, not yet acted on (the engine does that after the turn).
    var pending: PortFault?
    /// The fault the port is broken by, until the front-end resets a ring or reconnects.
    var broken: PortFault?
    /// Faults acted on since the port was added.
    var count: UInt64 = 0
}

/// Owner ids for the SIGBUS guard: unique in the process (several engines may run, as in tests),
/// never 0 (no owner).
enum MemoryGuardOwner {
    private static let next = Atomic<UInt64>(1)
    static func allocate() -> UInt64 { next.add(1, ordering: .relaxed).oldValue }
}

extension VhostPort {
    /// Breaks the port for `fault`. Safe anywhere on the engine thread, mid-burst included: it only
    /// records the fault; the engine acts on it after the turn (`applyPendingFault`), so no ring a
    /// burst is using disappears under it. The first fault recorded wins until it is acted on.
    func fail(_ fault: PortFault) {
        guard faults.pending == nil else { return }
        faults.pending = fault
        csy_fault_generation_bump()
    }

    var brokenBy: PortFault? { faults.broken }
    var faultCount: UInt64 { faults.count }

    /// After a turn in which a fault was recorded anywhere (`csy_fault_generation` moved): takes
    /// this port's SIGBUS records, then breaks the port for whatever is pending.
    func applyPendingFault() {
        if csy_memory_guard_take_faults(guardOwner) > 0 { fail(.guestMemoryFault) }
        guard let fault = faults.pending else { return }
        faults.pending = nil
        faults.count += 1
        // Already broken: its rings are stopped; nothing more to do or to log.
        guard faults.broken == nil else { return }
        faults.broken = fault
        // Stopping the rings takes them out of the engine's TX list and RX targets and marks the
        // port down in the core, so frames to it count as port-down.
        device.stopRingsAfterFault()
        let signalled = device.signalRingErrors()
        engine.logger.error("port broken: \(fault.name); waiting for its front-end to reset the rings or reconnect",
                            metadata: ["port": "\(spec.name)", "vring-err-signalled": "\(signalled)"])
    }

    /// A ring started again (the front-end reset it, sent a new memory table, or reconnected):
    /// the port is served again, with every other runnable ring.
    func recoverIfBroken() {
        guard let fault = faults.broken else { return }
        faults.broken = nil
        engine.logger.notice("port recovered from \(fault.name)", metadata: ["port": "\(spec.name)"])
        device.startRunnableRings()
    }

    /// The front-end left: a new one starts from a clean slate.
    func forgetBrokenState() {
        faults.broken = nil
        faults.pending = nil
    }
}

extension VhostPort {
    /// Whether a ring may be served: always, unless the port is broken by a memory fault and the
    /// table still holds a region the guard replaced with zero pages (serving it would only move
    /// zeros; the front-end recovers by sending fresh memory or reconnecting).
    func canRecover(with memory: GuestMemoryTable) -> Bool {
        faults.broken != .guestMemoryFault || memory.faultedRegionCount == 0
    }
}

extension VhostPort {
    /// `yardctl ports` shows this under a broken port.
    var brokenReason: String? {
        switch faults.broken {
        case nil: return nil
        case .guestMemoryFault?:
            return "guest memory faulted (its file shrank under the mapping); waiting for new memory or a reconnect"
        case .notificationBlocked?, .kickBlocked?:
            return "an eventfd would have blocked the engine; waiting for the front-end to reset its rings or reconnect"
        }
    }
}
