import GuestMemory
import SwitchCore
import Virtio

/// The hot path: pull a burst from each guest TX ring, let the core decide, copy each frame
/// straight into the destination guest's RX ring, return the TX descriptors, and publish and
/// notify each touched ring once per turn.
extension Engine {
    /// One pass over every running TX ring; returns how many frames moved.
    func pollPorts() -> Int {
        var moved = 0
        let now = clock.now
        for slot in 0..<transmitRings.count {
            let ring = transmitRings[slot]
            moved &+= ring.queue._withUnsafeGuaranteedRef { queue in
                let n = ring.port._withUnsafeGuaranteedRef { port in
                    forwardBurst(from: queue, of: port, pair: ring.pair, now: now)
                }
                // Counted out here: inside forwardBurst the two increments tip the optimizer into
                // keeping `forward` out of line (+45 instructions per frame).
                if n > 0 {
                    loop.pointee.bursts &+= 1
                    if queue.knownPending > 0 { loop.pointee.backloggedBursts &+= 1 }
                }
                return n
            }
        }
        if !uplinkList.isEmpty { moved &+= pollUplinks(now: now) }
        if taps.count.pointee > 0 { moved &+= pollTaps(now: now) }  // tap wiring
        if moved > 0 {
            flushReceiveRings()
            flushUplinks()
        }
        return moved
    }

    @inline(__always)
    private func forwardBurst(from tx: SplitQueue, of source: VhostPort, pair: Int, now: UInt32) -> Int {
        let popped = tx.popAvailable(maxChains: BurstScratch.burstSize)
        guard popped > 0 else { return 0 }
        let s = scratch
        let chains = tx.chains
        let headerLength = source.headerLength
        // Per burst, not per frame: the stores below could alias the port for all the optimizer knows.
        let offloads = source.sendsOffloads
        var valid = 0
        for i in 0..<popped {
            let chain = chains[i]
            guard chain.error == nil, chain.length > headerLength else {
                recordRefusedChain(chain.error, from: source.index)
                continue
            }
            let segments = tx.segments(of: chain)
            let frameLength = chain.length &- headerLength
            let first = segments[0]
            // Parsed from a private copy, never in place: the guest may rewrite its buffer until
            // we return the descriptor (docs/vlan-safety.md).
            let copy = s.headerCopies + valid &* BurstScratch.headerCopyStride
            if first.length >= headerLength &+ 18 {
                // Then frameLength >= 18 too (the first segment is part of the chain).
                Engine.copyHeader(from: UnsafeRawPointer(first.base + headerLength), to: copy)
                s.headers[valid] = FrameHeader.parse(complete: UnsafeRawPointer(copy),
                                                     length: UInt32(truncatingIfNeeded: frameLength))
                // Senders that negotiated no offload always send an all-zero header: skip reading
                // it. The first segment holds the whole virtio-net header here: read in place.
                s.netHeaders[valid] = offloads
                    ? VirtioNetHeader(readingFrom: UnsafeRawPointer(first.base), length: headerLength)
                    : VirtioNetHeader()
            } else {
                let got = GuestSegment.gather(segments, offset: headerLength, count: min(frameLength, 18), into: copy)
                var h = FrameHeader.parse(UnsafeRawPointer(copy), length: got)
                h.length = UInt32(truncatingIfNeeded: frameLength)
                s.headers[valid] = h
                s.netHeaders[valid] = offloads
                    ? (VirtioNetHeader(gatheringFrom: segments, length: headerLength) ?? VirtioNetHeader())
                    : VirtioNetHeader()
            }
            s.chainIndex[valid] = i
            valid &+= 1
        }
        core.decide(ingress: source.index, frames: s.headers, count: valid, into: s.decisions, now: now)
        let from = FrameSource(index: source.index, skip: headerLength, features: source.features)
        for n in 0..<valid {
            let segments = tx.segments(of: chains[s.chainIndex[n]])
            forward(segments, header: s.headers + n, l2: UnsafeRawPointer(s.headerCopies + n &* BurstScratch.headerCopyStride),
                    netHeader: s.netHeaders + n, from: from, pair: pair, decision: s.decisions + n)
        }
        tx.pushUsedTransmitted(count: popped)
        tx.publishUsed()
        if tx.needsNotification() { source.notify(ring: pair &* 2 &+ 1) }
        return popped
    }

    /// Acts on one decision: nothing for a drop, one copy for unicast, a copy per port for a flood.
    /// `l2` holds the first `header.l2Length` bytes `header` was parsed from, in memory the sender
    /// cannot write: every copy takes its L2 header from there and only the bytes after it from
    /// `segments` (docs/vlan-safety.md). `header`, `netHeader` and `decision` point into private
    /// memory (the burst scratch) and are read where used: passed by value, every field was
    /// loaded up front and most were spilled to the stack across the copy (docs/hot-path.md).
    @inline(__always)
    func forward(_ segments: UnsafeBufferPointer<GuestSegment>, header: UnsafePointer<FrameHeader>,
                 l2: UnsafeRawPointer, netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource, pair: Int,
                 decision: UnsafePointer<ForwardingDecision>) {
        switch decision.pointee.kind {
        case .drop:
            break
        case .unicast:
            deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                    to: decision.pointee.port, decision: decision)
        case .flood:
            let targets = scratch.floodTargets
            let count = core.floodTargets(vlan: decision.pointee.vlan, excluding: source.index, into: targets)
            core.recordFloodCopies(port: source.index, copies: count)
            for t in 0..<count {
                deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                        to: targets[t], decision: decision)
            }
        }
    }

    /// Copies one frame out of `destination`: into a guest's RX ring, or onto the uplink.
    @inline(__always)
    private func deliver(_ segments: UnsafeBufferPointer<GuestSegment>, header: UnsafePointer<FrameHeader>,
                         l2: UnsafeRawPointer, netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                         pair: Int, to destination: UInt16, decision: UnsafePointer<ForwardingDecision>) {
        guard let entry = vhostPorts[Int(destination)] else {
            if let uplink = uplinkPorts[Int(destination)] {
                deliverToUplink(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,
                                to: uplink.takeUnretainedValue(), decision: decision.pointee)
            } else if let tap = taps.byIndex[Int(destination)] {  // tap wiring
                deliverToTap(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,  // tap wiring
                             to: tap.takeUnretainedValue(), decision: decision.pointee)  // tap wiring
            } else {
                core.recordTransmitDrop(port: destination, reason: .portDown)
            }
            return
        }
        // `_withUnsafeGuaranteedRef` hands the port and ring on as guaranteed (+0) references:
        // `ports` and the port's queue list own them across the burst, and without it every call
        // below would retain and release them once per frame. The closures are non-escaping and
        // inlined.
        entry._withUnsafeGuaranteedRef { target in
            guard let slot = target.receiveTarget(forPair: pair) else {
                core.recordTransmitDrop(port: destination, reason: .portDown)
                return
            }
            slot.queue._withUnsafeGuaranteedRef { rx in
                deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, to: target, rx: rx,
                        ring: slot.ring, decision: decision)
            }
        }
    }

    @inline(__always)
    private func deliver(_ segments: UnsafeBufferPointer<GuestSegment>, header: UnsafePointer<FrameHeader>,
                         l2: UnsafeRawPointer, netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                         to target: VhostPort, rx: SplitQueue, ring: Int, decision: UnsafePointer<ForwardingDecision>) {
        let destination = target.index
        let egress = core.egressTag(port: destination, vlan: decision.pointee.vlan)
        let sourceTagged = header.pointee.isTagged
        let frameLength = Int(header.pointee.length)
        if netHeader.pointee.flags != 0 || netHeader.pointee.gsoType != 0 {
            let edit = TagEdit(sourceTagged: sourceTagged, egressTagged: egress.tagged, tci: decision.pointee.egressTCI)
            deliverOffloaded(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,
                             to: target, rx: rx, ring: ring, edit: edit)
            return
        }
        let outLength: Int
        if sourceTagged || egress.tagged {
            let edit = TagEdit(sourceTagged: sourceTagged, egressTagged: egress.tagged, tci: decision.pointee.egressTCI)
            outLength = frameLength &+ edit.lengthChange
            guard outLength <= target.maximumFrameLength &+ (egress.tagged ? 4 : 0) else {
                core.recordTransmitDrop(port: destination, reason: .mtuExceeded)
                return
            }
            guard reserve(rx, bytes: target.headerLength &+ outLength, for: target) else { return }
            copyFrame(segments, skipping: source.skip, header: header.pointee, l2: l2, edit: edit,
                      netHeader: VirtioNetHeader(), into: rx, headerLength: target.headerLength)
            rx.commitReservation()
        } else {
            // The common case (no edit: untagged in and out, the length unchanged), one call:
            // reserve, header, copy and used element together. The L2 header comes from the
            // private copy the core decided on, the 14-byte one (a constant: two 8-byte moves).
            outLength = frameLength
            guard outLength <= target.maximumFrameLength else {
                core.recordTransmitDrop(port: destination, reason: .mtuExceeded)
                return
            }
            let l2Length = FrameHeader.untaggedHeaderLength
            let result = rx.receiveFrame(header: VirtioNetHeader(), headerLength: target.headerLength,
                                         prefix: l2, prefixLength: l2Length, from: segments,
                                         skipping: source.skip &+ l2Length, mergeable: target.mergeable)
            guard counted(result, for: target) else { return }
        }
        // Never negative: a frame length (UInt32) plus at most -4 for a tagged one, which is >= 18.
        core.recordTransmit(port: destination, frames: 1, bytes: UInt64(truncatingIfNeeded: outLength))
        markDirty(rx, ring: ring, owner: target)
    }

    /// Reserves RX buffers, counting the reason when there are none.
    @inline(__always)
    func reserve(_ rx: SplitQueue, bytes: Int, for target: VhostPort) -> Bool {
        counted(rx.reserve(bytes: bytes, mergeable: target.mergeable), for: target)
    }

    /// True when buffers were reserved (or written); otherwise counts the reason there were none.
    @inline(__always)
    func counted(_ result: ReceiveReservation, for target: VhostPort) -> Bool {
        switch result {
        case .reserved:
            return true
        case .noRoom:
            core.recordTransmitDrop(port: target.index, reason: .rxRingFull)
        case .tooLarge:
            core.recordTransmitDrop(port: target.index, reason: .oversize)
        case .malformed(let error):
            recordRefusedBuffer(error, of: target.index)
        case .broken:
            core.recordTransmitDrop(port: target.index, reason: .malformedDescriptor)
        }
        return false
    }

    /// Writes `netHeader` and the frame into a reservation, adding, removing or keeping the
    /// 802.1Q tag on the way (the only bytes of a frame the switch ever changes). The L2 header
    /// comes from `l2`, the private copy; only the bytes after it from `segments`.
    @inline(__always)
    func copyFrame(_ segments: UnsafeBufferPointer<GuestSegment>, skipping skip: Int, header: FrameHeader,
                   l2: UnsafeRawPointer, edit: TagEdit, netHeader: VirtioNetHeader, into rx: SplitQueue,
                   headerLength: Int) {
        let prefix: UnsafeRawPointer
        let prefixLength: Int
        if edit.changesFrame {
            prefixLength = Engine.writePrefix(header, l2: l2, edit: edit, to: scratch.prefix)
            prefix = UnsafeRawPointer(scratch.prefix)
        } else {
            prefixLength = header.l2Length
            prefix = l2
        }
        rx.writeFrame(header: netHeader, headerLength: headerLength,
                      frame: UnsafeRawBufferPointer(start: prefix, count: prefixLength))
        rx.writeReserved(from: segments, skipping: skip &+ header.l2Length)
    }

    /// The L2 header of a re-tagged frame, from the private copy `l2`: MACs, the egress tag (if
    /// any), the EtherType that followed the ingress tag. The rest of the frame follows it from
    /// `header.l2Length` bytes into the source. Returns 14 or 18.
    @inline(__always)
    static func writePrefix(_ h: FrameHeader, l2: UnsafeRawPointer, edit: TagEdit, to p: UnsafeMutableRawPointer) -> Int {
        p.storeBytes(of: l2.loadUnaligned(as: UInt64.self), as: UInt64.self)
        p.storeBytes(of: l2.loadUnaligned(fromByteOffset: 8, as: UInt32.self), toByteOffset: 8, as: UInt32.self)
        let etherType = l2.loadUnaligned(fromByteOffset: h.l2Length &- 2, as: UInt16.self)
        guard edit.egressTagged else {
            p.storeBytes(of: etherType, toByteOffset: 12, as: UInt16.self)
            return FrameHeader.untaggedHeaderLength
        }
        p.storeBytes(of: FrameHeader.vlanTPID.bigEndian, toByteOffset: 12, as: UInt16.self)
        p.storeBytes(of: edit.tci.bigEndian, toByteOffset: 14, as: UInt16.self)
        p.storeBytes(of: etherType, toByteOffset: 16, as: UInt16.self)
        return FrameHeader.taggedHeaderLength
    }

    /// The first 18 bytes of a frame into its private copy, as three fixed-size loads (a memcpy
    /// call would cost more than the parse). The copy is what the core decides on.
    @inline(__always)
    static func copyHeader(from bytes: UnsafeRawPointer, to copy: UnsafeMutableRawPointer) {
        let a = bytes.loadUnaligned(as: UInt64.self)
        let b = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let c = bytes.loadUnaligned(fromByteOffset: 16, as: UInt16.self)
        copy.storeBytes(of: a, as: UInt64.self)
        copy.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
        copy.storeBytes(of: c, toByteOffset: 16, as: UInt16.self)
    }

    @inline(__always)
    func markDirty(_ rx: SplitQueue, ring: Int, owner: VhostPort) {
        let s = scratch
        let queue = Unmanaged.passUnretained(rx)
        // Consecutive frames usually go to the same ring: check the newest entry first.
        if s.dirtyCount > 0 && s.dirty[s.dirtyCount &- 1].queue.toOpaque() == queue.toOpaque() { return }
        for i in 0..<s.dirtyCount where s.dirty[i].queue.toOpaque() == queue.toOpaque() { return }
        if s.dirtyCount == s.dirtyCapacity { flushReceiveRings() }
        s.dirty[s.dirtyCount] = DirtyRing(queue: queue, owner: Unmanaged.passUnretained(owner), ring: ring)
        s.dirtyCount &+= 1
    }

    /// One used-index publish and at most one notification per touched RX ring.
    func flushReceiveRings() {
        let s = scratch
        for i in 0..<s.dirtyCount {
            let d = s.dirty[i]
            unowned(unsafe) let rx = d.queue.takeUnretainedValue()
            rx.publishUsed()
            if rx.needsNotification() { d.owner.takeUnretainedValue().notify(ring: d.ring) }
        }
        s.dirtyCount = 0
    }

    /// Before sleeping: re-enable guest kicks; true if work arrived meanwhile (do not sleep).
    func armNotifications() -> Bool {
        var pending = false
        for slot in 0..<transmitRings.count where transmitRings[slot].queue.takeUnretainedValue().enableNotifications() {
            pending = true
        }
        return pending
    }

    /// After waking: suppress kicks again while polling.
    func disarmNotifications() {
        for slot in 0..<transmitRings.count { transmitRings[slot].queue.takeUnretainedValue().disableNotifications() }
    }
}

/// Where a frame came from, as the delivery path needs it: the ingress port (never flooded back
/// to), how many bytes precede the Ethernet frame in its segments (a guest's virtio-net header;
/// 0 from the uplink), and the offloads its sender may use.
struct FrameSource {
    let index: UInt16
    let skip: Int
    let features: VirtioFeatures
}

/// A running TX ring the engine polls, flattened out of the port objects so the loop touches
/// only what it needs. Unmanaged: the ports own their queues, and the list is rebuilt whenever a
/// ring starts or stops.
struct TransmitRing {
    let queue: Unmanaged<SplitQueue>
    let port: Unmanaged<VhostPort>
    let pair: Int
}

/// How a frame's 802.1Q tag changes between ingress and egress.
struct TagEdit {
    let sourceTagged: Bool
    let egressTagged: Bool
    let tci: UInt16

    /// Re-tagging always rewrites the tag (the egress VID or PCP may differ from the ingress tag).
    @inline(__always) var changesFrame: Bool { sourceTagged || egressTagged }
    @inline(__always) var lengthChange: Int { (egressTagged ? 4 : 0) &- (sourceTagged ? 4 : 0) }
}
