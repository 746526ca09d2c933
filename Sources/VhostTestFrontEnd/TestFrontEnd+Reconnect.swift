import CSwitchyard
import LinuxIO

/// A front-end that outlives its back-end: QEMU with `reconnect=N` keeps the guest, its memory and
/// its rings when the switch restarts, and brings them to the new connection
/// (docs/memory-hotplug-and-reconnect.md#reconnect-with-ring-state).
extension TestFrontEnd {
    /// A new connection on `socket` with this front-end's guest RAM and driver rings (indexes,
    /// posted buffers, in-flight chains and all). Call `resume` on it.
    public func reconnected(on socket: UnixSocket) throws -> TestFrontEnd {
        let fe = try TestFrontEnd(socket: socket, options: options, pump: pump)
        fe.ram = ram
        fe.rings = rings
        return fe
    }

    /// `reconnected(on:)` for a back-end that listens on `path` (QEMU as socket client).
    public func reconnected(to path: String) throws -> TestFrontEnd {
        switch UnixSocket.connect(to: path) {
        case .success(let s): return try reconnected(on: s)
        case .failure(let e): throw TestFrontEndError.io(e)
        }
    }

    /// Negotiates and starts the rings where they are. `bases` nil: QEMU's answer when its
    /// GET_VRING_BASE failed on the dead connection, each ring's used index from guest memory
    /// (`virtio_queue_restore_last_avail_idx`); DPDK virtio-user sends zeros.
    public func resume(bases: [UInt16]? = nil) throws {
        try negotiate()
        try start(reuseRings: true, bases: bases ?? rings.map(\.usedIndex))
    }

    /// What a back-end killed mid-burst leaves in guest memory: it had completed the last `count`
    /// chains of ring `ring` (and acted on them: a TX frame went out) but never published the used
    /// index for them. Moves used.idx and the driver's view back by `count`, and takes those
    /// descriptors off the free list again (the driver never saw them completed).
    public func forgetCompletions(ring: Int, count: Int) {
        let r = rings[ring]
        let idx = r.usedIndex &- UInt16(truncatingIfNeeded: count)
        for k in 0..<count {
            let slot = Int(idx &+ UInt16(truncatingIfNeeded: k)) & (r.size - 1)
            let id = UInt16(truncatingIfNeeded: UInt32(littleEndian: (r.usedRing.pointer + 4 + 8 * slot).load(as: UInt32.self)))
            if let at = r.freeDescriptors.lastIndex(of: id) { r.freeDescriptors.remove(at: at) }
        }
        r.lastUsed = idx
        csy_store_release_u16(r.usedRing.pointer + 2, idx)
    }
}
