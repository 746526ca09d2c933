import Virtio

/// What changes for a packed ring (VIRTIO_F_RING_PACKED acked) in the ring messages
/// (docs/packed-rings.md): sizes need not be powers of two, SET_VRING_ADDR's avail and used
/// addresses are the driver and device event areas, and GET/SET_VRING_BASE carry slot and wrap
/// counter (bits 0-14 and 15) for the avail side and, in bits 16-31, for the used side, as QEMU's
/// virtio_queue_set_last_avail_idx and DPDK's vhost_user_set_vring_base read them.
extension VhostUserDevice {
    var packedRings: Bool { ackedFeatures.contains(.ringPacked) }

    func isValidRingSize(_ size: Int) -> Bool {
        packedRings ? PackedRing.isValidSize(size) : SplitRing.isValidSize(size)
    }

    /// The 16-bit base a packed ring resumes from. DPDK virtio-user sends the avail half only
    /// (0x8000 for a fresh ring: slot 0, wrap counter 1); QEMU sends both halves. Every chain is
    /// completed in order before a ring stops, so the halves agree unless the front-end kept
    /// buffers in flight across a reconnect; then the used half is where the in-flight ones begin,
    /// and resuming there processes them again (as a split ring resumes at used->idx).
    func packedBase(_ num: UInt32) -> UInt16 {
        let avail = UInt16(truncatingIfNeeded: num)
        let used = UInt16(truncatingIfNeeded: num >> 16)
        guard used != 0, used != avail else { return avail }
        logger.info("packed ring base: avail 0x\(String(avail, radix: 16)) differs from used 0x\(String(used, radix: 16)); resuming at used")
        return used
    }

    /// Where packed ring `i` resumes: the journal's record when it is this front-end's and the
    /// front-end re-sent the base it sent then (after a restart of ours, QEMU's base is stale);
    /// else the front-end's base. Either way the journal entry then follows this start.
    func packedResumePoint(_ i: Int, descriptors: UnsafeMutableRawPointer) -> UInt16 {
        let ring = rings[i]
        guard let journal = ringJournal, let frontEnd, let address = ring.address else { return ring.base }
        var next = ring.base
        if let recorded = journal.resume(ring: i, frontEnd: frontEnd, descriptorUVA: address.descriptorUVA,
                                         size: ring.size, frontEndBase: ring.frontEndBase, descriptors: descriptors),
           recorded != next {
            logger.info("packed ring \(i): resuming at 0x\(String(recorded, radix: 16)) from the ring journal (front-end sent 0x\(String(next, radix: 16)))")
            next = recorded
        }
        journal.begin(ring: i, frontEnd: frontEnd, descriptorUVA: address.descriptorUVA, size: ring.size,
                      frontEndBase: ring.frontEndBase)
        return next
    }

    /// GET_VRING_BASE's value for a packed ring that stopped at `base`: nothing is in flight, so
    /// the used half equals the avail half.
    func packedBaseReply(_ base: UInt16) -> UInt32 { UInt32(base) | UInt32(base) << 16 }

    /// The packed ring's three areas as our pointers, through `PackedRing.Layout` (the checks
    /// `PackedQueue.init` makes again).
    func translatePacked(_ ring: VhostUserRing) -> (descriptors: UnsafeMutableRawPointer,
                                                    available: UnsafeMutableRawPointer,
                                                    used: UnsafeMutableRawPointer)? {
        guard let a = ring.address, let layout = PackedRing.Layout(queueSize: ring.size),
              let p = layout.pointers(descriptors: a.descriptorUVA, driverEvent: a.availableUVA,
                                      deviceEvent: a.usedUVA, userspaceIn: memory)
        else { return nil }
        return (p.descriptors, p.driverEvent, p.deviceEvent)
    }
}
