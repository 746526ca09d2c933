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
    /// The latest fault acted on; kept after a reconnect (tests, logs).
    var last: PortFault?
    /// A front-end that traps an eventfd stalls the whole engine for the watchdog's 20-30 ms each
    /// time; were it let back at once, resetting its rings (or reconnecting) in a loop would stall
    /// every port most of the time. So after such a fault the port's rings are not served until
    /// this engine-clock second, across reconnects; the wait doubles with each trap, 1 s to 64 s
    /// (docs/never-blocking.md).
    var penaltySeconds: UInt32 = 0
    var penaltyUntil: UInt32 = 0
    /// The front-end started a ring during the penalty: recover once it ends (housekeeping).
    var resetDuringPenalty = false
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
        // A memory fault wins over anything recorded in the same turn (a ring reading zero pages
        // may also look broken): it decides how the port recovers (`canRecover`).
        if csy_memory_guard_take_faults(guardOwner) > 0 { faults.pending = .guestMemoryFault }
        guard let fault = faults.pending else { return }
        faults.pending = nil
        faults.count += 1
        faults.last = fault
        // Already broken: its rings are stopped; nothing more to do or to log, except that a
        // memory fault still means it may only recover on fresh memory.
        guard faults.broken == nil else {
            if fault == .guestMemoryFault { faults.broken = fault }
            return
        }
        faults.broken = fault
        if fault == .notificationBlocked || fault == .kickBlocked {
            faults.penaltySeconds = min(max(1, faults.penaltySeconds &* 2), 64)
            faults.penaltyUntil = engine.nowSeconds &+ faults.penaltySeconds
        }
        // Stopping the rings takes them out of the engine's TX list and RX targets and marks the
        // port down in the core, so frames to it count as port-down.
        device.stopRingsAfterFault()
        let signalled = device.signalRingErrors(guardedBy: engine.watchdog)
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
        if faults.broken == .guestMemoryFault { return memory.faultedRegionCount == 0 }
        if engine.nowSeconds < faults.penaltyUntil {
            // Reconnected or reset during an eventfd penalty: still broken, served when it ends.
            faults.broken = faults.broken ?? faults.last
            faults.resetDuringPenalty = true
            return false
        }
        return true
    }

    /// Once a second: a front-end that reset its rings during a penalty is served when it ends.
    func endPenaltyIfDue(now: UInt32) {
        guard faults.resetDuringPenalty, now >= faults.penaltyUntil else { return }
        faults.resetDuringPenalty = false
        // The device counts the rings refused during the penalty as started: stop them so that
        // recovering starts every runnable ring afresh.
        device.stopRingsAfterFault()
        recoverIfBroken()
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
        case .dirtyLogFault?:
            return "its dirty log (migration) does not cover the memory the switch writes; waiting for the front-end to reset its rings or reconnect"
        case .ringBroken?:
            return "its guest broke a ring (an index beyond the ring); waiting for the front-end to reset its rings or reconnect"
        case .ringMemoryRemoved?:
            return "its front-end removed the memory a running ring lies in; waiting for memory under the ring, a ring reset or a reconnect"
        }
    }
}
