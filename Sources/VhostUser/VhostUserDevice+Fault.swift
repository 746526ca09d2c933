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
    /// "vhost vring error in virtqueue N" for it. Returns how many were signalled. Never blocks:
    /// the front-end shares the fd's file description and could have made it blocking, or filled
    /// the counter so a write would wait, so the write happens only while poll says it fits.
    @discardableResult
    public func signalRingErrors() -> Int {
        var signalled = 0
        for ring in rings {
            guard let error = ring.error else { continue }
            var p = pollfd(fd: error.rawValue, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, 0) == 1, p.revents & Int16(POLLOUT) != 0 else { continue }
            var one: UInt64 = 1
            if write(error.rawValue, &one, 8) == 8 { signalled += 1 }
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
