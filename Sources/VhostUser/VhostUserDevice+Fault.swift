#if canImport(Glibc)
import Glibc
#endif
import GuestMemory
import LinuxIO

/// What the datapath needs from the device when it breaks a port (docs/port-faults.md).
extension VhostUserDevice {
    /// An empty table whose mappings the SIGBUS guard attributes to this device's port.
    func newMemoryTable() -> GuestMemoryTable {
        GuestMemoryTable(maxRegions: configuration.maxMemorySlots, guardOwner: configuration.memoryGuardOwner)
    }

    /// Stops every started ring (the delegate gets `ringStopping` for each) but keeps its
    /// configuration: the front-end's next change to a ring, a new memory table or a reconnect
    /// starts them again, which is how a broken port recovers.
    public func stopRingsAfterFault() {
        for i in rings.indices where rings[i].started { stop(i) }
    }

    /// Signals the error eventfd of every ring that has one (SET_VRING_ERR): QEMU logs
    /// "vhost vring error in virtqueue N" for it. Returns how many were signalled. The front-end
    /// shares each fd's file description and may have made it blocking and filled it, so the
    /// write goes through the same watchdog as the call notifications (docs/never-blocking.md).
    @discardableResult
    public func signalRingErrors(guardedBy watchdog: SyscallWatchdog?) -> Int {
        var signalled = 0
        for ring in rings {
            if let error = ring.error, error.signal(guardedBy: watchdog) == .done { signalled += 1 }
        }
        return signalled
    }
}

extension VhostUserDevice {
    /// Starts every ring that is runnable and not started (after a broken port recovered through
    /// one of its rings).
    public func startRunnableRings() {
        for i in rings.indices { startIfRunnable(i) }
    }
}
