import LinuxIO

/// QEMU's side of live migration's dirty log (docs/dirty-log.md): SET_LOG_BASE with a shared
/// memfd, then LOG_ALL in SET_FEATURES and VHOST_VRING_F_LOG in SET_VRING_ADDR on running rings;
/// the same in reverse when migration ends.
extension TestFrontEnd {
    static let logAllFeature: UInt64 = 1 << 26
    static let logSharedMemoryProtocol: UInt64 = 1 << 1

    /// The log size QEMU computes (vhost_get_log_size): one bit per 4 KiB page from GPA 0 to the
    /// end of the highest region, in whole 64-bit words.
    public var fullLogSize: UInt64 {
        let end = ram.regions.map { $0.guestPhysicalAddress + UInt64($0.size) }.max() ?? 0
        let pages = (end + 4095) / 4096
        return (pages + 63) / 64 * 8
    }

    /// SET_LOG_BASE with `fd` (the log at `offset`, `size` bytes), with NEED_REPLY when REPLY_ACK
    /// is negotiated. Returns the back-end's one u64 reply (0 = mapped, 1 = refused), which QEMU
    /// always waits for under LOG_SHMFD; a refusal without an ack to carry it closes the connection.
    @discardableResult
    public func setLogBase(fd: Int32, size: UInt64, offset: UInt64 = 0) throws -> UInt64? {
        let flags = FrontEndWire.version | (replyAckNegotiated ? FrontEndWire.needReply : 0)
        try sendRaw(FrontEndWire.message(FrontEndRequest.setLogBase.rawValue, flags: flags,
                                         payload: FrontEndWire.u64(size) + FrontEndWire.u64(offset)), fds: [fd])
        let reply = try readReply()
        guard reply.flags == 0x5, reply.code == FrontEndRequest.setLogBase.rawValue else {
            throw TestFrontEndError.badReply("SET_LOG_BASE reply flags 0x\(String(reply.flags, radix: 16)) code \(reply.code)")
        }
        return reply.u64
    }

    /// Migration starts (QEMU's vhost_migration_log(true)): LOG_ALL acked, then every ring's
    /// address again with VHOST_VRING_F_LOG and its used ring's GPA as the log address, or
    /// `usedLogAddress` for every ring when given (a hostile front-end's bad address).
    public func startLogging(usedLogAddress: UInt64? = nil) throws {
        try request(.setFeatures, FrontEndWire.u64(ackedFeatures | Self.logAllFeature | (offeredFeatures & Self.protocolFeaturesBit)))
        for ring in rings {
            try request(.setVringAddr, FrontEndWire.vringAddress(ring.index, desc: ring.descriptorTable.uva,
                                                                 used: ring.usedRing.uva, avail: ring.availableRing.uva,
                                                                 flags: 1, log: usedLogAddress ?? ring.usedRing.gpa))
        }
        try sync()
    }

    /// Migration ends or is cancelled: LOG_ALL off, the rings' log flags cleared.
    public func stopLogging() throws {
        try request(.setFeatures, FrontEndWire.u64(ackedFeatures | (offeredFeatures & Self.protocolFeaturesBit)))
        for ring in rings {
            try request(.setVringAddr, FrontEndWire.vringAddress(ring.index, desc: ring.descriptorTable.uva,
                                                                 used: ring.usedRing.uva, avail: ring.availableRing.uva))
        }
        try sync()
    }

    /// What QEMU does when migration starts, in one call: a fresh memfd log covering all guest
    /// memory (SET_LOG_BASE), then `startLogging()`. Returns the log's mapping (the bits).
    @discardableResult
    public func logEverything() throws -> MappedRegion {
        let size = Int(fullLogSize)
        let file = try Memfd.create(name: "dlog-migration-log", size: size)
        let mapping = try MappedRegion(descriptor: file.rawValue, length: size)
        guard try setLogBase(fd: file.rawValue, size: UInt64(size)) == 0 else { throw TestFrontEndError.nack(6) }
        try startLogging()
        return mapping
    }
}
