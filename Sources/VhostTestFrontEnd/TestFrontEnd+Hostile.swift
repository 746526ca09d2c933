#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// Things a hostile or broken front-end does (docs/port-faults.md).
extension TestFrontEnd {
    /// Shrinks the guest RAM file to `bytes` after the back-end mapped it: its next access past the
    /// new end raises SIGBUS. Throws the errno (EPERM when the memfd is sealed against shrinking).
    /// The front-end's own mapping faults too from now on: do not touch its rings or buffers again.
    public func shrinkMemory(to bytes: Int = 0) throws {
        guard ftruncate(ram.file.rawValue, off_t(bytes)) == 0 else { throw Errno.current }
    }

    /// Fresh guest RAM (a new memfd, same layout), then the QEMU start sequence on it: new rings,
    /// GET_VRING_BASE for every ring, SET_MEM_TABLE with the new file, every ring set up again. What a front-end does to bring a
    /// broken port back without reconnecting.
    public func restartWithFreshMemory() throws {
        // QEMU's vhost_net_stop first: GET_VRING_BASE takes every ring out of service, so the new
        // table cannot restart one at its old addresses.
        _ = try stopRings()
        ram = try GuestRAM(regionSize: options.regionSize, layout: options.layout, name: options.memoryName,
                           sealed: options.sealMemory)
        rings = []
        try start()
    }

    /// SET_VRING_ERR for `ring` with a new eventfd; returns it (non-blocking, so a test can read it).
    public func installErrorNotifier(ring: Int) throws -> EventFD {
        let error = try EventFD()
        try request(.setVringErr, FrontEndWire.u64(UInt64(ring)), fds: [error.rawValue])
        return error
    }
}
