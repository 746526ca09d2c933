import LinuxIO

/// Scripted message sequences: QEMU's (docs/vhost-user-protocol.md#what-qemu-sends) and DPDK
/// virtio-user's (docs/vhost-user-protocol.md#what-dpdk-virtio-user-sends).
extension TestFrontEnd {
    static let protocolFeaturesBit: UInt64 = 1 << 30
    static let mtuFeature: UInt64 = 1 << 3
    static let eventIdxFeature: UInt64 = 1 << 29
    static let mqProtocol: UInt64 = 1 << 0
    static let memSlotsProtocol: UInt64 = 1 << 15
    static let statusProtocol: UInt64 = 1 << 16

    var hasStatus: Bool { protocolFeatures & Self.statusProtocol != 0 }

    /// QEMU's connect (step 1 in the doc cited above), repeated per queue pair like QEMU's one
    /// vhost_dev per pair.
    /// Returns the features the driver will ack.
    @discardableResult
    public func negotiate() throws -> UInt64 {
        for pair in 0..<options.queuePairs {
            offeredFeatures = try getU64(.getFeatures)
            if offeredFeatures & Self.protocolFeaturesBit != 0 {
                offeredProtocolFeatures = try getU64(.getProtocolFeatures)
                protocolFeatures = offeredProtocolFeatures & options.protocolFeatures
                try request(.setProtocolFeatures, FrontEndWire.u64(protocolFeatures), ack: false)
                if protocolFeatures & Self.mqProtocol != 0 {
                    let pairs = try getU64(.getQueueNum)
                    guard pairs >= UInt64(options.queuePairs) else {
                        throw TestFrontEndError.badReply("GET_QUEUE_NUM \(pairs) < \(options.queuePairs)")
                    }
                }
                if protocolFeatures & Self.memSlotsProtocol != 0 { _ = try getU64(.getMaxMemSlots) }
            }
            try request(.setOwner, ack: false)
            _ = try getU64(.getFeatures)
            for ring in [2 * pair, 2 * pair + 1] {
                let masked = try EventFD()
                maskedCalls.append(masked)
                try request(.setVringCall, FrontEndWire.u64(UInt64(ring)), fds: [masked.rawValue], ack: false)
            }
        }
        ackedFeatures = offeredFeatures & options.driverFeatures
        if options.queuePairs == 1 { ackedFeatures &= ~(1 << 22) }
        // VHOST_F_LOG_ALL: QEMU acks it only while migrating (TestFrontEnd+Migration.swift).
        ackedFeatures &= ~Self.logAllFeature
        return ackedFeatures
    }

    /// Guest sets DRIVER_OK (step 2 in the doc cited above): enable, features, memory table, then
    /// per ring NUM, BASE, ADDR, KICK, CALL. New rings are laid out (at new addresses) unless
    /// `reuseRings`, and RX rings are filled with empty buffers before the kick. `bases` defaults to
    /// zeros.
    public func start(reuseRings: Bool = false, bases: [UInt16]? = nil) throws {
        if !reuseRings || rings.isEmpty { try layOutRings() }
        if let mtu = options.mtu, ackedFeatures & Self.mtuFeature != 0 {
            try request(.netSetMTU, FrontEndWire.u64(UInt64(mtu)), ack: true)
        }
        for pair in 0..<options.queuePairs {
            for ring in [2 * pair, 2 * pair + 1] {
                try request(.setVringEnable, FrontEndWire.vringState(ring, 1), ack: true)
            }
            try request(.setFeatures, FrontEndWire.u64(ackedFeatures | (offeredFeatures & Self.protocolFeaturesBit)))
            if hasStatus {
                status = try getU64(.getStatus)
                try setStatus(status | 1 | 2 | 8)
            }
            try request(.setMemTable, FrontEndWire.memoryTable(ram.regions),
                        fds: ram.regions.map { _ in ram.file.rawValue }, ack: true)
            for ring in [2 * pair, 2 * pair + 1] {
                try setUpRing(ring, base: bases?[ring] ?? 0, call: true)
            }
            if hasStatus && pair == options.queuePairs - 1 {
                status = try getU64(.getStatus)
                try setStatus(status | 1 | 2 | 4 | 8)
            }
        }
        try sync()
    }

    /// QEMU's vhost_net_stop (step 3 in the doc cited above): GET_VRING_BASE for every ring;
    /// returns the indexes.
    public func stopRings() throws -> [UInt16] {
        var bases: [UInt16] = []
        for ring in 0..<(2 * options.queuePairs) {
            guard let state = try request(.getVringBase, FrontEndWire.vringState(ring, 0), expectReply: true)?.vringState,
                  state.index == UInt32(ring), state.num <= 0xFFFF || isPacked
            else { throw TestFrontEndError.badReply("GET_VRING_BASE \(ring)") }
            bases.append(UInt16(truncatingIfNeeded: state.num))
        }
        if hasStatus { try setStatus(0) }
        return bases
    }

    /// Guest driver reset and reload: stop, then start again with fresh rings at new addresses.
    @discardableResult
    public func driverReset() throws -> [UInt16] {
        let bases = try stopRings()
        try start()
        return bases
    }

    /// DPDK virtio-user's order (cited above): SET_OWNER first, no GET_QUEUE_NUM, CALL for all
    /// rings at FEATURES_OK, KICK last per ring, ENABLE for pair 0 after the rings, then DRIVER_OK.
    public func dpdkBoot() throws {
        try request(.setOwner, ack: false)
        offeredFeatures = try getU64(.getFeatures)
        if offeredFeatures & Self.protocolFeaturesBit != 0 {
            offeredProtocolFeatures = try getU64(.getProtocolFeatures)
            // virtio-user keeps MQ | REPLY_ACK | STATUS.
            protocolFeatures = offeredProtocolFeatures & (1 | (1 << 3) | (1 << 16))
            try request(.setProtocolFeatures, FrontEndWire.u64(protocolFeatures), ack: false)
        }
        if hasStatus { try setStatus(1); try setStatus(1 | 2) }
        // Strips MAC (5) and STATUS (16); the back-end never offered them anyway. Decided here so
        // the rings are laid out in the negotiated format.
        ackedFeatures = offeredFeatures & options.driverFeatures & ~((1 << 5) | (1 << 16) | Self.protocolFeaturesBit)
        if options.queuePairs == 1 { ackedFeatures &= ~(1 << 22) }
        try layOutRings()
        for ring in rings {
            try request(.setVringCall, FrontEndWire.u64(UInt64(ring.index)), fds: [ring.call.rawValue], ack: false)
        }
        try request(.setFeatures, FrontEndWire.u64(ackedFeatures | (offeredFeatures & Self.protocolFeaturesBit)), ack: false)
        if hasStatus { try setStatus(1 | 2 | 8) }
        try request(.setMemTable, FrontEndWire.memoryTable(ram.regions),
                    fds: ram.regions.map { _ in ram.file.rawValue }, ack: true)
        for ring in rings.indices { try setUpRing(ring, base: 0, call: false, dpdkBase: true) }
        for ring in [0, 1] { try request(.setVringEnable, FrontEndWire.vringState(ring, 1), ack: false) }
        if hasStatus { try setStatus(1 | 2 | 4 | 8) }
        try sync()
    }

    /// DPDK virtio-user stop: ENABLE 0 for every ring, then GET_VRING_BASE for every ring.
    public func dpdkStop() throws -> [UInt16] {
        for ring in rings.indices { try request(.setVringEnable, FrontEndWire.vringState(ring, 0), ack: false) }
        var bases: [UInt16] = []
        for ring in rings.indices {
            guard let s = try request(.getVringBase, FrontEndWire.vringState(ring, 0), expectReply: true)?.vringState
            else { throw TestFrontEndError.badReply("GET_VRING_BASE") }
            bases.append(UInt16(truncatingIfNeeded: s.num))
        }
        return bases
    }

    public func setStatus(_ value: UInt64) throws {
        try request(.setStatus, FrontEndWire.u64(value), ack: true)
        status = value
    }

    /// Allocates fresh rings (new guest addresses) and posts every RX buffer.
    func layOutRings() throws {
        rings = try (0..<(2 * options.queuePairs)).map { i in
            try DriverRing(ram: ram, index: i, size: options.ringSize, bufferSize: options.bufferSize, ringRegion: i % 2)
        }
        let eventIdx = ackedFeatures & Self.eventIdxFeature != 0
        for ring in rings {
            if isPacked { ring.usePackedLayout() }
            ring.eventIndex = eventIdx
            if ring.index % 2 == 0 {
                while ring.freeCount > 0 { try ring.post(length: options.receiveBufferLength, writable: true) }
            }
        }
    }

    /// VIRTIO_F_RING_PACKED acked: rings are packed (DriverRing+Packed.swift).
    public var isPacked: Bool { ackedFeatures & (1 << 34) != 0 }

    /// SET_VRING_BASE for a packed ring: QEMU's encoding, avail slot and wrap counter in the low
    /// half, the same for the used side in the high half. A fresh ring (base 0) starts at slot 0
    /// with wrap counters 1 (§2.8.1).
    /// DPDK virtio-user (`dpdkBase`) sends the low half only.
    func packedBase(_ base: UInt16, dpdk: Bool = false) -> UInt32 {
        let half = UInt32(base == 0 ? 0x8000 : base)
        return dpdk ? half : half | half << 16
    }

    func setUpRing(_ i: Int, base: UInt16, call: Bool, dpdkBase: Bool = false) throws {
        let ring = rings[i]
        try request(.setVringNum, FrontEndWire.vringState(i, UInt32(ring.size)))
        try request(.setVringBase, FrontEndWire.vringState(i, isPacked ? packedBase(base, dpdk: dpdkBase) : UInt32(base)))
        try request(.setVringAddr, FrontEndWire.vringAddress(i, desc: ring.descriptorTable.uva,
                                                             used: ring.usedRing.uva, avail: ring.availableRing.uva))
        try request(.setVringKick, FrontEndWire.u64(UInt64(i)), fds: [ring.kick.rawValue])
        if call { try request(.setVringCall, FrontEndWire.u64(UInt64(i)), fds: [ring.call.rawValue]) }
    }
}
