#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import GuestMemory
import Virtio

/// Batched transmit: `transmit` copies a frame (virtio-net header first) into the next staging
/// slot; `flush` sends every staged frame with one sendmmsg(2) per 64 frames. Copying at
/// `transmit` time is what lets the engine return the guest's TX descriptors (and reuse its
/// prefix scratch) right after the call. A TPACKET_V3 TX ring was measured as the alternative
/// and cost more CPU per frame on veth (see UplinkConfiguration).
extension UplinkSocket {
    /// Offers one frame: `prefix` (may be empty; e.g. MACs + a new VLAN tag) followed by the bytes
    /// of `segments` after the first `skipping` (e.g. the guest's own virtio-net header, or its
    /// MACs and old tag). `vnetHeader` describes the frame as sent: its checksum / header offsets
    /// count from the first byte of `prefix`. Nothing needs to outlive the call.
    /// Inlinable so that it is specialized for the caller's segment type (guest memory or another
    /// uplink's ring) rather than reading each segment through a witness table.
    @inlinable
    public func transmit<Segment: ByteSegment>(prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<Segment>,
                                               skipping: Int, vnetHeader: VirtioNetHeader) -> UplinkTransmitResult {
        let (length, refusal) = OutgoingFrame.measure(prefix: prefix, segments: segments, skipping: skipping,
                                                      vnetHeader: vnetHeader, mtu: mtu)
        if let refusal { return refuse(refusal) }
        guard vnetHeader.gsoType == VirtioNetHeader.gsoNone,
              TPacket.vnetHeaderLength &+ length <= stagingSlotSize else {
            return transmitLarge(prefix: prefix, segments: segments, skipping: skipping,
                                 length: length, vnetHeader: vnetHeader)
        }
        guard let slot = nextStagingSlot() else { return refuse(.ringFull) }
        vnetHeader.write(to: slot, length: TPacket.vnetHeaderLength)
        var out = slot + TPacket.vnetHeaderLength
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
        commitStagingSlot(length: length)
        return .queued
    }

    /// The next free staging slot, flushing a full batch first; nil when the kernel took none of it.
    @usableFromInline
    func nextStagingSlot() -> UnsafeMutableRawPointer? {
        if stagedCount == stagingCapacity {
            flush()
            guard stagedCount < stagingCapacity else { return nil }
        }
        return stagingBase + stagedCount &* stagingSlotSize
    }

    /// Counts the frame just written into `nextStagingSlot()` as staged.
    @usableFromInline
    func commitStagingSlot(length: Int) {
        stagedLengths[stagedCount] = UInt32(truncatingIfNeeded: TPacket.vnetHeaderLength &+ length)
        stagedCount &+= 1
        counters.transmittedFrames &+= 1
        counters.transmittedBytes &+= UInt64(length)
    }

    /// `transmit` without a prefix.
    @inlinable
    public func transmit<Segment: ByteSegment>(segments: UnsafeBufferPointer<Segment>, skipping: Int,
                         vnetHeader: VirtioNetHeader) -> UplinkTransmitResult {
        transmit(prefix: UnsafeRawBufferPointer(start: nil, count: 0), segments: segments, skipping: skipping,
                 vnetHeader: vnetHeader)
    }

    /// `transmit` of one contiguous frame (tests, RARP announcements, the host's own frames).
    public func transmit(frame: UnsafeRawBufferPointer, vnetHeader: VirtioNetHeader = VirtioNetHeader())
        -> UplinkTransmitResult {
        guard let base = frame.baseAddress else { return refuse(.rejected) }
        var segment = PacketSegment(base: UnsafeMutableRawPointer(mutating: base), length: frame.count)
        return withUnsafePointer(to: &segment) {
            transmit(segments: UnsafeBufferPointer(start: $0, count: 1), skipping: 0, vnetHeader: vnetHeader)
        }
    }

    /// Sends every staged frame (one sendmmsg per 64). Call once per burst. Frames the kernel
    /// does not take (ENETDOWN while the link is down, ENOBUFS from a full NIC queue) are dropped
    /// and counted in `transmitDropped`: retrying them later would only delay newer traffic.
    /// False if any frame was dropped.
    @discardableResult
    public func flush() -> Bool {
        guard stagedCount > 0 else { return true }
        var done = 0
        var dropped = 0
        var droppedBytes = 0
        while done < stagedCount {
            let chunk = min(stagedCount &- done, 64)
            let n = Int(csy_packet_sendmmsg(socket.rawValue, stagedPointers + done, stagedLengths + done, Int32(chunk)))
            if n <= 0 {
                for i in done..<stagedCount { droppedBytes &+= Int(stagedLengths[i]) &- TPacket.vnetHeaderLength }
                dropped &+= stagedCount &- done
                break
            }
            done &+= n
            // A short count means the next frame failed; drop it and go on with the rest.
            if n < chunk {
                droppedBytes &+= Int(stagedLengths[done]) &- TPacket.vnetHeaderLength
                dropped &+= 1
                done &+= 1
            }
        }
        counters.transmitDropped &+= UInt64(dropped)
        counters.transmitDroppedBytes &+= UInt64(droppedBytes)
        stagedCount = 0
        return dropped == 0
    }

    /// Frames staged since the last flush.
    public var pendingTransmits: Int { stagedCount }

    @usableFromInline
    func refuse(_ result: UplinkTransmitResult) -> UplinkTransmitResult {
        switch result {
        case .ringFull: counters.transmitRingFull &+= 1
        case .mtuExceeded: counters.mtuExceeded &+= 1
        case .rejected: counters.transmitErrors &+= 1
        case .queued: break
        }
        return result
    }
}
