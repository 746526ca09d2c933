import CSwitchyard
import LinuxIO

/// One guest mapping, registered with the SIGBUS guard for exactly as long as it is mapped: a
/// front-end that shrinks the file behind it afterwards costs its own port, never the process
/// (docs/port-faults.md).
final class GuardedMapping {
    let region: MappedRegion
    let slot: Int32
    /// F_SEAL_SHRINK is set (QEMU's sealed memfds): this mapping can never fault from a shrink.
    /// Registered all the same; the guard costs nothing until a fault.
    let sealedAgainstShrinking: Bool

    init(descriptor fd: Int32, length: Int, owner: UInt64) throws(GuestMemoryError) {
        let mapping: MappedRegion
        do {
            mapping = try MappedRegion(descriptor: fd, length: length)
        } catch {
            throw .mapFailed(error)
        }
        let slot = csy_memory_guard_register(mapping.base, mapping.length, owner)
        guard slot >= 0 else { throw .memoryGuardUnavailable(Errno.current) }
        region = mapping
        self.slot = slot
        sealedAgainstShrinking = csy_seals_prevent_shrinking(csy_file_seals(fd)) != 0
    }

    /// The guard replaced this mapping with zero pages after a SIGBUS.
    var faulted: Bool { csy_memory_guard_slot_faulted(slot) != 0 }

    // Unregistered before `region` is released (stored properties go after deinit's body): once
    // unmapped, the address range may be reused by a mapping that is not guest memory.
    deinit { csy_memory_guard_unregister(slot) }
}
