import CSwitchyard
import GuestMemory
import Virtio

/// Reading the TPACKET_V3 RX ring. The kernel fills one block at a time and hands it to us
/// (block_status |= TP_STATUS_USER) when it is full or its timer expires; we walk its frames,
/// and give the block back (TP_STATUS_KERNEL) only once the switch is done with every frame in
/// it, at `releaseBurst`. Blocks are handed over and returned strictly in ring order.
extension UplinkSocket {
    /// Collects up to `max` (at most `maximumBurst`) frames from retired blocks; no syscall.
    /// Frames stay valid until `releaseBurst()`. Returns the burst size (also `burstCount`).
    public func receiveBurst(max: Int) -> Int {
        let limit = min(max, Self.maximumBurst)
        var count = 0
        var bytes = 0
        var restored = 0
        var truncated = 0
        var malformed = 0
        var outgoing = 0
        while count < limit {
            if !blockOpen && !openNextBlock() { break }
            guard let frame = nextFrame else { break }
            framesLeftInBlock &-= 1
            // Bounds: every offset the kernel wrote is checked against the block before use.
            let blockEnd = receiveBase + (currentBlock &+ 1) &* blockSize
            let room = blockEnd - frame
            if framesLeftInBlock == 0 {
                finishBlock()
            } else {
                let next = Int(frame.loadUnaligned(fromByteOffset: TPacket.nextOffset, as: UInt32.self))
                if next >= TPacket.headerSize && next < room {
                    nextFrame = frame + next
                } else {
                    // A broken chain: drop the rest of this block rather than walk off it.
                    malformed &+= framesLeftInBlock
                    finishBlock()
                }
            }
            let status = frame.loadUnaligned(fromByteOffset: TPacket.status, as: UInt32.self)
            let snap = Int(frame.loadUnaligned(fromByteOffset: TPacket.snapLength, as: UInt32.self))
            let wire = Int(frame.loadUnaligned(fromByteOffset: TPacket.wireLength, as: UInt32.self))
            let mac = Int(frame.loadUnaligned(fromByteOffset: TPacket.macOffset, as: UInt16.self))
            guard snap >= 14, mac >= TPacket.headerSize &+ TPacket.vnetHeaderLength, mac &+ snap <= room else {
                malformed &+= 1
                continue
            }
            guard snap == wire else {
                truncated &+= 1
                continue
            }
            if frame.load(fromByteOffset: TPacket.packetTypeOffset, as: UInt8.self) == TPacket.packetOutgoing {
                outgoing &+= 1
                continue
            }
            let data = frame + mac
            var header = VirtioNetHeader(readingFrom: UnsafeRawPointer(data - TPacket.vnetHeaderLength),
                                         length: TPacket.vnetHeaderLength)
            let segments = burstSegments + 2 &* count
            if status & TPacket.statusVLANValid != 0 {
                // The kernel moved the tag into skb->vlan_tci; rebuild the whole tagged Ethernet
                // header (MACs, tag, EtherType: 18 bytes, so a parser finds it in one segment) in
                // scratch and point at the rest of the frame in the ring.
                let prefix = burstPrefixes + 32 &* count
                prefix.copyMemory(from: data, byteCount: 12)
                prefix.storeBytes(of: data.loadUnaligned(fromByteOffset: 12, as: UInt16.self), toByteOffset: 16,
                                  as: UInt16.self)
                let tpid: UInt16 = status & TPacket.statusVLANTPIDValid != 0
                    ? frame.loadUnaligned(fromByteOffset: TPacket.vlanTPID, as: UInt16.self) : 0x8100
                let tci = UInt16(truncatingIfNeeded: frame.loadUnaligned(fromByteOffset: TPacket.vlanTCI, as: UInt32.self))
                prefix.storeBytes(of: tpid.bigEndian, toByteOffset: 12, as: UInt16.self)
                prefix.storeBytes(of: tci.bigEndian, toByteOffset: 14, as: UInt16.self)
                segments[0] = PacketSegment(base: prefix, length: 18)
                segments[1] = PacketSegment(base: data + 14, length: snap &- 14)
                burstSegmentCounts[count] = 2
                burstLengths[count] = snap &+ 4
                // The kernel computed the offsets for the untagged frame.
                header = header.movingOffsets(by: 4)
                burstTagged[count] = true
                restored &+= 1
            } else {
                segments[0] = PacketSegment(base: data, length: snap)
                burstSegmentCounts[count] = 1
                burstLengths[count] = snap
                burstTagged[count] = false
            }
            burstHeaders[count] = header
            bytes &+= burstLengths[count]
            count &+= 1
        }
        burstCount = count
        counters.receivedFrames &+= UInt64(count)
        counters.receivedBytes &+= UInt64(bytes)
        counters.tagsRestored &+= UInt64(restored)
        counters.receiveTruncated &+= UInt64(truncated)
        counters.receiveMalformed &+= UInt64(malformed)
        counters.outgoingIgnored &+= UInt64(outgoing)
        return count
    }

    /// Frame `index` (0..<burstCount) of the current burst.
    @inlinable
    public func frame(_ index: Int) -> ReceivedFrame {
        precondition(index >= 0 && index < burstCount, "frame index outside the burst")
        return ReceivedFrame(segments: UnsafeBufferPointer(start: burstSegments + 2 &* index,
                                                           count: burstSegmentCounts[index]),
                             length: burstLengths[index], vnetHeader: burstHeaders[index],
                             tagRestored: burstTagged[index])
    }

    /// Gives every block read to its end back to the kernel. Frames of the burst are invalid
    /// afterwards. A block read only partly stays ours; the next burst continues in it.
    public func releaseBurst() {
        if blockOpen && framesLeftInBlock == 0 { finishBlock() }
        while finishedBlocks > 0 {
            let block = receiveBase + firstUnreleasedBlock &* blockSize
            csy_store_release_u32(block + TPacket.blockStatus, TPacket.statusKernel)
            firstUnreleasedBlock = firstUnreleasedBlock &+ 1 == blockCount ? 0 : firstUnreleasedBlock &+ 1
            finishedBlocks &-= 1
        }
        burstCount = 0
    }

    /// True when the next block in ring order has been handed to us (its frames may be read).
    public var hasPendingFrames: Bool {
        if blockOpen && framesLeftInBlock > 0 { return true }
        guard !blockOpen, finishedBlocks < blockCount else { return false }
        return csy_load_acquire_u32(receiveBase + currentBlock &* blockSize + TPacket.blockStatus)
            & TPacket.statusUser != 0
    }

    /// Opens the block at `currentBlock` if the kernel has retired it.
    @usableFromInline
    func openNextBlock() -> Bool {
        // Every block is ours already (the switch holds a burst spanning the whole ring).
        guard finishedBlocks < blockCount else { return false }
        let block = receiveBase + currentBlock &* blockSize
        guard csy_load_acquire_u32(block + TPacket.blockStatus) & TPacket.statusUser != 0 else { return false }
        let packets = Int(block.loadUnaligned(fromByteOffset: TPacket.blockPacketCount, as: UInt32.self))
        let first = Int(block.loadUnaligned(fromByteOffset: TPacket.blockFirstPacket, as: UInt32.self))
        blockOpen = true
        guard packets > 0, first >= 0, first < blockSize &- TPacket.headerSize else {
            framesLeftInBlock = 0
            nextFrame = nil
            finishBlock()
            return openNextBlock()
        }
        framesLeftInBlock = packets
        nextFrame = block + first
        return true
    }

    /// The current block is read to its end: lend it until `releaseBurst`, move to the next.
    @usableFromInline
    func finishBlock() {
        blockOpen = false
        framesLeftInBlock = 0
        nextFrame = nil
        finishedBlocks &+= 1
        currentBlock = currentBlock &+ 1 == blockCount ? 0 : currentBlock &+ 1
    }
}
