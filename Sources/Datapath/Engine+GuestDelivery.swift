import GuestMemory
import SwitchCore
import Virtio

/// Delivery into a guest's RX ring (a vhost-user port), for any ring format: a split ring inline,
/// a packed one out of line (`deliverWithoutSplitRing`), the copy code below specialized for each.
extension Engine {
    @inline(__always)
    func deliverToGuest<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>,
                                              header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
                                              netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                                              pair: Int, to target: VhostPort,
                                              decision: UnsafePointer<ForwardingDecision>) {
        guard let slot = target.receiveTarget(forPair: pair) else {
            deliverWithoutSplitRing(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                                    to: target, decision: decision)
            return
        }
        // Guaranteed (+0): the port's queue list owns the ring across the burst.
        slot.ring.knownSplit._withUnsafeGuaranteedRef { rx in
            deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, to: target, rx: rx,
                    ringIndex: slot.index, decision: decision)
        }
    }

    /// A destination with no split RX ring: its packed ring if it runs one, else `port-down`. Out
    /// of line, so the split ring's inlined delivery has neither a format test nor a call that
    /// could cost it spills (docs/packed-rings.md, "Cost").
    @inline(never)
    private func deliverWithoutSplitRing<Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
        netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource, pair: Int, to target: VhostPort,
        decision: UnsafePointer<ForwardingDecision>
    ) {
        guard let slot = target.packedReceiveTarget(forPair: pair), case .packed(let queue) = slot.ring.format else {
            bridge.recordTransmitDrop(port: target.index, reason: .portDown)
            return
        }
        queue._withUnsafeGuaranteedRef { rx in
            deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, to: target, rx: rx,
                    ringIndex: slot.index, decision: decision)
        }
    }

    @inline(__always)
    private func deliver<Queue: EngineVirtqueue, Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
        netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource, to target: VhostPort, rx: Queue,
        ringIndex: Int, decision: UnsafePointer<ForwardingDecision>
    ) {
        let destination = target.index
        let egress = bridge.egressTag(port: destination, vlan: decision.pointee.vlan)
        let sourceTagged = header.pointee.isTagged
        let frameLength = Int(header.pointee.length)
        let to = GuestDestination(port: target, ringIndex: ringIndex)
        if netHeader.pointee.flags != 0 || netHeader.pointee.gsoType != 0 {
            let edit = TagEdit(sourceTagged: sourceTagged, egressTagged: egress.tagged, tci: decision.pointee.egressTCI)
            deliverOffloaded(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,
                             to: to, rx: rx, edit: edit)
            return
        }
        let outcome: DeliveryOutcome
        if sourceTagged || egress.tagged {
            let edit = TagEdit(sourceTagged: sourceTagged, egressTagged: egress.tagged, tci: decision.pointee.egressTCI)
            let outLength = frameLength &+ edit.lengthChange
            guard Engine.fits(length: outLength, maximumFrameLength: target.maximumFrameLength,
                              leavesTagged: egress.tagged) else {
                record(.dropped(.mtuExceeded), port: destination)
                return
            }
            let reservation = rx.reserve(bytes: target.headerLength &+ outLength, mergeable: target.mergeable)
            if case .reserved = reservation {
                copyFrame(segments, skipping: source.skip, header: header.pointee, l2: l2, edit: edit,
                          netHeader: VirtioNetHeader(), into: rx, headerLength: target.headerLength)
                rx.commitReservation()
            }
            outcome = DeliveryOutcome(reservation, bytes: outLength)
        } else {
            // The common case (no edit: untagged in and out, the length unchanged), one call:
            // reserve, header, copy and used element together. The L2 header comes from the
            // private copy the core decided on, the 14-byte one (a constant: two 8-byte moves).
            guard Engine.fits(length: frameLength, maximumFrameLength: target.maximumFrameLength,
                              leavesTagged: false) else {
                record(.dropped(.mtuExceeded), port: destination)
                return
            }
            let l2Length = FrameHeader.untaggedHeaderLength
            let result = rx.receiveFrame(header: VirtioNetHeader(), headerLength: target.headerLength,
                                         prefix: l2, prefixLength: l2Length, from: segments,
                                         skipping: source.skip &+ l2Length, mergeable: target.mergeable)
            outcome = DeliveryOutcome(result, bytes: frameLength)
        }
        if record(outcome, port: destination) { markDirty(to, rx) }
    }

    /// Writes `netHeader` and the frame into a reservation, adding, removing or keeping the
    /// 802.1Q tag on the way (the only bytes of a frame the switch ever changes). The L2 header
    /// comes from `l2`, the private copy; only the bytes after it from `segments`.
    @inline(__always)
    func copyFrame<Queue: EngineVirtqueue, Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, skipping skip: Int, header: FrameHeader, l2: UnsafeRawPointer,
        edit: TagEdit, netHeader: VirtioNetHeader, into rx: Queue, headerLength: Int
    ) {
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

    @inline(__always)
    func markDirty<Queue: EngineVirtqueue>(_ to: GuestDestination, _ rx: Queue) {
        markDirty(Unmanaged.passUnretained(rx).toOpaque(), owner: PortKind(to.port), ring: rx.guestRing,
                  ringIndex: to.ringIndex)
    }

    /// One used-index publish and at most one notification for a guest RX ring written this turn.
    func flushGuestRing(_ ring: GuestRing, of port: VhostPort, ringIndex: Int) {
        switch ring.format {
        case .split(let queue):
            let notify = queue._withUnsafeGuaranteedRef { rx in
                rx.publishUsed()
                return rx.needsNotification()
            }
            if notify { port.notify(ring: ringIndex) }
        case .packed(let queue):
            let notify = queue._withUnsafeGuaranteedRef { rx in
                rx.publishUsed()
                return rx.needsNotification()
            }
            if notify { port.notify(ring: ringIndex) }
        }
    }
}

/// A guest RX ring being delivered to: the port that owns it and the ring's index there.
struct GuestDestination {
    unowned(unsafe) let port: VhostPort
    let ringIndex: Int
}
