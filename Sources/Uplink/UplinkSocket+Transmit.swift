#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import GuestMemory
import Virtio

/// Writing the TPACKET_V3 TX ring: `transmit` copies a frame (virtio-net header first) into the
/// next free slot and marks it TP_STATUS_SEND_REQUEST; `flush` asks the kernel, once per burst,
/// to send every requested slot (one send(2), MSG_DONTWAIT). The kernel attaches the slot's
/// pages to the skb instead of copying them and frees the slot when the skb is gone, so a slot
/// can still be busy (TP_STATUS_SENDING) long after the flush: then the ring is full.
extension UplinkSocket {
    /// Offers one frame: `prefix` (may be empty; e.g. MACs + a new VLAN tag) followed by the bytes
    /// of `segments` after the first `skipping` (e.g. the guest's own virtio-net header, or its
    /// MACs and old tag). `vnetHeader` describes the frame as sent: its checksum / header offsets
    /// count from the first byte of `prefix`.
    public func transmit(prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<GuestSegment>,
                         skipping: Int, vnetHeader: VirtioNetHeader) -> UplinkTransmitResult {
        var payload = 0
        for segment in segments { payload &+= segment.length }
        guard skipping >= 0, skipping <= payload else { return refuse(.rejected) }
        let length = prefix.count &+ payload &- skipping
        guard length >= 14 else { return refuse(.rejected) }
        if length > mtu &+ 14 && vnetHeader.gsoType == VirtioNetHeader.gsoNone {
            // Only a tagged frame may carry 4 more bytes.
            guard length <= mtu &+ 18, isTagged(prefix: prefix, segments: segments, skipping: skipping) else {
                return refuse(.mtuExceeded)
            }
        }
        guard vnetHeader.gsoType == VirtioNetHeader.gsoNone,
              TPacket.vnetHeaderLength &+ length <= transmitSlotSize &- TPacket.headerSize else {
            return transmitLarge(prefix: prefix, segments: segments, skipping: skipping,
                                 length: length, vnetHeader: vnetHeader)
        }
        let slot = transmitBase + transmitHead &* transmitSlotSize
        let status = csy_load_acquire_u32(slot + TPacket.status)
        if status != TPacket.statusAvailable {
            // With PACKET_LOSS the kernel frees rejected slots itself; a WRONG_FORMAT slot here
            // would be from before that option, so it is counted and reused.
            guard status == TPacket.statusWrongFormat else { return refuse(.ringFull) }
            counters.transmitErrors &+= 1
        }
        let data = slot + TPacket.headerSize
        vnetHeader.write(to: data, length: TPacket.vnetHeaderLength)
        var out = data + TPacket.vnetHeaderLength
        if let p = prefix.baseAddress, prefix.count > 0 {
            out.copyMemory(from: p, byteCount: prefix.count)
            out += prefix.count
        }
        var skip = skipping
        for segment in segments {
            if skip >= segment.length {
                skip &-= segment.length
                continue
            }
            let n = segment.length &- skip
            out.copyMemory(from: segment.base + skip, byteCount: n)
            out += n
            skip = 0
        }
        slot.storeBytes(of: UInt32(TPacket.vnetHeaderLength &+ length), toByteOffset: TPacket.wireLength, as: UInt32.self)
        slot.storeBytes(of: UInt32(TPacket.vnetHeaderLength &+ length), toByteOffset: TPacket.snapLength, as: UInt32.self)
        // Variable-size slots are not supported for TX: the kernel requires tp_next_offset 0.
        slot.storeBytes(of: UInt32(0), toByteOffset: TPacket.nextOffset, as: UInt32.self)
        csy_store_release_u32(slot + TPacket.status, TPacket.statusSendRequest)
        transmitHead = (transmitHead &+ 1) & transmitSlotMask
        transmitPending &+= 1
        counters.transmittedFrames &+= 1
        counters.transmittedBytes &+= UInt64(length)
        return .queued
    }

    /// `transmit` without a prefix.
    @inline(__always)
    public func transmit(segments: UnsafeBufferPointer<GuestSegment>, skipping: Int,
                         vnetHeader: VirtioNetHeader) -> UplinkTransmitResult {
        transmit(prefix: UnsafeRawBufferPointer(start: nil, count: 0), segments: segments, skipping: skipping,
                 vnetHeader: vnetHeader)
    }

    /// `transmit` of one contiguous frame (tests, RARP announcements, the host's own frames).
    public func transmit(frame: UnsafeRawBufferPointer, vnetHeader: VirtioNetHeader = VirtioNetHeader())
        -> UplinkTransmitResult {
        guard let base = frame.baseAddress else { return refuse(.rejected) }
        var segment = GuestSegment(base: UnsafeMutableRawPointer(mutating: base), length: frame.count)
        return withUnsafePointer(to: &segment) {
            transmit(segments: UnsafeBufferPointer(start: $0, count: 1), skipping: 0, vnetHeader: vnetHeader)
        }
    }

    /// Hands every queued slot to the kernel (one syscall). Call once per burst. False if the
    /// kernel refused (ENETDOWN while the link is down, ENOBUFS): the slots stay requested and
    /// go out with the next flush.
    @discardableResult
    public func flush() -> Bool {
        guard transmitPending > 0 else { return true }
        let rc = retryingSend(socket.rawValue)
        if rc < 0 {
            counters.transmitErrors &+= 1
            return false
        }
        transmitPending = 0
        return true
    }

    /// Slots queued since the last successful flush.
    public var pendingTransmits: Int { transmitPending }

    @inline(__always)
    func refuse(_ result: UplinkTransmitResult) -> UplinkTransmitResult {
        switch result {
        case .ringFull: counters.transmitRingFull &+= 1
        case .mtuExceeded: counters.mtuExceeded &+= 1
        case .rejected: counters.transmitErrors &+= 1
        case .queued: break
        }
        return result
    }

    /// Whether the outgoing frame's EtherType at offset 12 is 802.1Q or 802.1ad (slow path: only
    /// asked for frames longer than MTU + 14).
    func isTagged(prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<GuestSegment>, skipping: Int) -> Bool {
        var type: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &type) { out -> Int in
            guard let o = out.baseAddress else { return 0 }
            var copied = 0
            if prefix.count > 12, let p = prefix.baseAddress {
                copied = min(2, prefix.count &- 12)
                o.copyMemory(from: p + 12, byteCount: copied)
            }
            if copied < 2 {
                let offset = skipping &+ 12 &+ copied &- min(prefix.count, 12 &+ copied)
                copied &+= GuestSegment.gather(segments, offset: offset, count: 2 &- copied, into: o + copied)
            }
            return copied
        }
        guard got == 2 else { return false }
        let etherType = UInt16(type.0) << 8 | UInt16(type.1)
        return etherType == 0x8100 || etherType == 0x88a8
    }

    func retryingSend(_ fd: Int32) -> Int {
        while true {
            let rc = send(fd, nil, 0, Int32(MSG_DONTWAIT))
            if rc < 0 && errno == EINTR { continue }
            return rc
        }
    }
}
