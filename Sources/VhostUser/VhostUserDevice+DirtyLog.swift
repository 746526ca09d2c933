import GuestMemory
import LinuxIO

/// Live migration's dirty-page log (docs/dirty-log.md; QEMU docs/interop/vhost-user.rst,
/// "Migration"). QEMU sends SET_LOG_BASE (the log as a memfd, with LOG_SHMFD), then SET_FEATURES
/// with LOG_ALL and SET_VRING_ADDR with VHOST_VRING_F_LOG per ring, all while the rings run; at
/// the end of migration the same in reverse, and at switch-over GET_VRING_BASE stops each ring.
extension VhostUserDevice {
    /// Maps the new log and restarts every started ring on it, then drops the old one (QEMU resizes
    /// the log by sending another SET_LOG_BASE while logging). Replies with a u64 0 whether or not
    /// an ack was asked for: QEMU waits for a reply to SET_LOG_BASE under LOG_SHMFD (libvhost-user
    /// answers the same way). A log we cannot map is refused and the old one stays.
    func setLogBase(_ area: VhostUserLogArea, _ m: inout VhostUserMessage) -> HandlerResult {
        guard protocolFeatures.contains(.logSharedMemory) else {
            logRefusals += 1
            return .refused("SET_LOG_BASE without LOG_SHMFD negotiated")
        }
        guard let fd = m.takeDescriptor() else {
            logRefusals += 1
            return .refused("SET_LOG_BASE without a descriptor")
        }
        defer { fd.close() }
        if let why = Self.unmappableGuestMemory(fd.rawValue) {
            logRefusals += 1
            return .refused("dirty log: \(why)")
        }
        let log: DirtyLogArea
        do {
            log = try DirtyLogArea(descriptor: fd.rawValue, size: area.mmapSize, offset: area.mmapOffset,
                                   owner: configuration.memoryGuardOwner)
        } catch {
            logRefusals += 1
            return .refused("dirty log of \(area.mmapSize) bytes at offset \(area.mmapOffset): \(error)")
        }
        dirtyLog = log
        // Queues logging into the old log flush into it as they stop, then let it go.
        restartStartedRings()
        logger.info("dirty log: \(area.mmapSize) bytes (covers \((area.mmapSize &* 8 &* 4096) >> 20) MiB of guest-physical space)")
        return .reply(.u64(0))
    }

    /// SET_LOG_FD: an eventfd the back-end may signal after logging. QEMU never sends it to a
    /// vhost-user back-end and reads the shared log on its own schedule, so like DPDK we accept
    /// and close it. Only with LOG_SHMFD negotiated, and only an eventfd: anything else is a
    /// front-end that does not speak the protocol it negotiated.
    func setLogFD(_ m: inout VhostUserMessage) -> HandlerResult {
        guard protocolFeatures.contains(.logSharedMemory) else { return .refused("SET_LOG_FD without LOG_SHMFD negotiated") }
        guard let fd = m.takeDescriptor() else { return .refused("SET_LOG_FD without a descriptor") }
        defer { fd.close() }
        guard EventFD.isEventFD(fd.rawValue) == true else { return .refused("SET_LOG_FD: the descriptor is not an eventfd") }
        return .done
    }

    /// Stops every started ring and starts it again on the current features and log: how logging
    /// is switched on and off under running rings. Nothing is in flight between messages, so the
    /// restart loses nothing (docs/vhost-user-protocol.md#stopping-a-ring).
    func restartStartedRings() {
        let started = rings.indices.filter { rings[$0].started }
        for i in started { stop(i) }
        for i in started { startIfRunnable(i) }
    }
}
