import GuestMemory
import SwitchCore
import Virtio

/// The hot path: pull a burst from each burst source (guest TX rings, uplinks), let the core
/// decide, copy each frame straight into its destination port, give the source its frames back,
/// and flush each touched destination once per turn. One `forwardBurst` for every kind; the kind
/// is chosen by a `switch` once per burst and once per delivered frame (PortKind.swift).
extension Engine {
    /// One pass over every burst source; returns how many frames moved.
    func pollPorts() -> Int {
        var moved = 0
        let now = clock.now
        for i in 0..<pollList.count {
            let slot = pollList[i]
            switch slot.port {
            case .vhostUser(let vhost):
                moved &+= vhost._withUnsafeGuaranteedRef { pollGuestRing(slot, of: $0, now: now) }
            case .uplink, .tap, .vxlan:
                // Out of line: with a fourth kind LLVM tested the uplink before the guest ring
                // here, or switched through a jump table, either costing the vhost path
                // instructions per burst (docs/vxlan-ports.md).
                moved &+= pollDevicePort(slot.port, now: now)
            }
        }
        if moved > 0 { flushTurn() }
        return moved
    }

    /// One burst from a guest TX ring, by ring format.
    @inline(__always)
    private func pollGuestRing(_ slot: PollSlot, of port: VhostPort, now: UInt32) -> Int {
        guard let ring = slot.ring else { return 0 }
        // Cold for the split ring's sake, as in deliverToGuest.
        if _slowPath(ring.isPacked) { return pollPackedRing(ring, slot, of: port, now: now) }
        guard case .split(let queue) = ring.format else { return 0 }
        // `_withUnsafeGuaranteedRef`: the port's queue list owns the queue across the burst; the
        // closure is non-escaping and inlined, and no reference count is taken.
        return queue._withUnsafeGuaranteedRef { forwardGuestBurst(from: $0, slot, of: port, now: now) }
    }

    /// One burst from TX queue `tx`, either format, counted in the loop's burst counters.
    @inline(__always)
    private func forwardGuestBurst<Queue: EngineVirtqueue>(from tx: Queue, _ slot: PollSlot, of port: VhostPort,
                                                            now: UInt32) -> Int {
        var burst = GuestTransmitBurst(tx: tx, port: port, pair: slot.pair)
        let n = forwardBurst(&burst, now: now)
        // Counted out here: inside forwardBurst the two increments tip the optimizer into
        // keeping `forward` out of line (+45 instructions per frame).
        if n > 0 {
            loop.pointee.bursts &+= 1
            if tx.knownPending > 0 { loop.pointee.backloggedBursts &+= 1 }
        }
        return n
    }

    /// A packed TX ring's burst, out of line so the split ring's loop is compiled as it was
    /// (docs/packed-rings.md); the burst and forwarding code inside is the same, specialized.
    @inline(never)
    private func pollPackedRing(_ ring: GuestRing, _ slot: PollSlot, of port: VhostPort, now: UInt32) -> Int {
        guard case .packed(let queue) = ring.format else { return 0 }
        return queue._withUnsafeGuaranteedRef { forwardGuestBurst(from: $0, slot, of: port, now: now) }
    }

    /// The one burst loop, for every kind: take, decide, forward each frame, give back.
    @inline(__always)
    func forwardBurst<Burst: FrameBurst>(_ burst: inout Burst, now: UInt32) -> Int {
        let s = scratch
        let count = burst.take(into: s, engine: self)
        let taken = count.taken
        guard taken > 0 else { return 0 }
        let parsed = count.parsed
        let from = burst.source
        bridge.decide(ingress: from.index, frames: s.headers, count: parsed, into: s.decisions, now: now)
        let pair = burst.pair
        for n in 0..<parsed {
            forward(burst.segments(ofFrame: n, scratch: s), header: s.headers + n, l2: burst.l2(ofFrame: n, scratch: s),
                    netHeader: s.netHeaders + n, from: from, pair: pair, decision: s.decisions + n)
        }
        if mirrorFlags[Int(from.index)] != 0 { mirrorBurst(burst, frames: parsed, scratch: s) }
        if captures.armed.pointee != 0 { captureBurst(burst, parsed: parsed) }
        burst.complete(taken: taken)
        return taken
    }

    /// Acts on one decision: nothing for a drop, one copy for unicast, a copy per port for a flood.
    /// `l2` holds the first `header.l2Length` bytes `header` was parsed from, in memory the sender
    /// cannot write: every copy takes its L2 header from there and only the bytes after it from
    /// `segments` (docs/vlan-safety.md). `header`, `netHeader` and `decision` point into private
    /// memory (the burst scratch) and are read where used: passed by value, every field was
    /// loaded up front and most were spilled to the stack across the copy (docs/hot-path.md).
    @inline(__always)
    func forward<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>, header: UnsafePointer<FrameHeader>,
                                       l2: UnsafeRawPointer, netHeader: UnsafePointer<VirtioNetHeader>,
                                       from source: FrameSource, pair: Int, decision: UnsafePointer<ForwardingDecision>) {
        switch decision.pointee.kind {
        case .drop:
            break
        case .unicast:
            deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                    to: decision.pointee.port, decision: decision)
        case .flood:
            let targets = scratch.floodTargets
            let count = bridge.floodTargets(vlan: decision.pointee.vlan, excluding: source.index, into: targets)
            bridge.recordFloodCopies(port: source.index, copies: count)
            for t in 0..<count {
                deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                        to: targets[t], decision: decision)
            }
        }
    }

    /// Copies one frame to port `destination`, by its kind (also a mirror's copy, Engine+Mirror).
    @inline(__always)
    func deliver<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>,
                                               header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
                                               netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                                               pair: Int, to destination: UInt16,
                                               decision: UnsafePointer<ForwardingDecision>) {
        guard let entry = portTable[Int(destination)] else {
            bridge.recordTransmitDrop(port: destination, reason: .portDown)
            return
        }
        // Guaranteed (+0) references: `ports` owns the port across the burst; without them every
        // call below would retain and release it once per frame.
        switch entry {
        case .vhostUser(let vhost):
            vhost._withUnsafeGuaranteedRef { target in
                deliverToGuest(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                               to: target, decision: decision)
            }
        case .uplink(let uplink):
            uplink._withUnsafeGuaranteedRef { uplink in
                deliverToUplink(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,
                                to: uplink, owner: entry, decision: decision.pointee)
            }
        default:
            // Tap and vxlan (a syscall or a staged copy per frame), out of line together: a
            // fourth case here made LLVM switch through a jump table, +2 Ir per frame on the vhost
            // path (docs/vxlan-ports.md).
            deliverToKernelPort(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,
                                to: entry, decision: decision.pointee)
        }
    }

    /// One burst from a port whose frames come from the kernel (uplink, tap, vxlan).
    @inline(never)
    func pollDevicePort(_ port: PortKind, now: UInt32) -> Int {
        switch port {
        case .uplink(let uplink):
            return uplink._withUnsafeGuaranteedRef { uplink in
                guard let socket = uplink.socket else { return 0 }
                var burst = DeviceBurst(device: socket, source: FrameSource(index: uplink.index, skip: 0,
                                                                            features: UplinkPort.senderFeatures))
                return forwardBurst(&burst, now: now)
            }
        case .tap(let tap): return tap._withUnsafeGuaranteedRef { pollTap($0, now: now) }
        case .vxlan(let vxlan): return vxlan._withUnsafeGuaranteedRef { pollVxlan($0, now: now) }
        case .vhostUser: return 0  // polled by `pollPorts` itself
        }
    }

    /// Delivery to a tap or vxlan port (the others are delivered by `deliver` itself).
    @inline(never)
    func deliverToKernelPort<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>, header: FrameHeader,
                                                   l2: UnsafeRawPointer, netHeader: VirtioNetHeader,
                                                   from source: FrameSource, to entry: PortKind,
                                                   decision: ForwardingDecision) {
        switch entry {
        case .tap(let tap):
            tap._withUnsafeGuaranteedRef { tap in
                deliverToTap(segments, header: header, l2: l2, netHeader: netHeader, from: source, to: tap,
                             decision: decision)
            }
        case .vxlan(let vxlan):
            vxlan._withUnsafeGuaranteedRef { vxlan in
                deliverToVxlan(segments, header: header, l2: l2, netHeader: netHeader, from: source, to: vxlan,
                               owner: entry, decision: decision)
            }
        case .vhostUser, .uplink:
            break  // delivered by `deliver` itself
        }
    }

    /// Records a destination that needs its end-of-turn flush (a guest RX ring's used-index
    /// publish and notification, an uplink's sendmmsg), once per turn. `key` identifies it.
    @inline(__always)
    func markDirty(_ key: UnsafeMutableRawPointer, owner: PortKind, ring: GuestRing?, ringIndex: Int) {
        let s = scratch
        // Consecutive frames usually go to the same ring: check the newest entry first.
        if s.dirtyCount > 0 && s.dirty[s.dirtyCount &- 1].key == key { return }
        for i in 0..<s.dirtyCount where s.dirty[i].key == key { return }
        if s.dirtyCount == s.dirtyCapacity { flushTurn() }
        s.dirty[s.dirtyCount] = DirtyDestination(key: key, owner: owner, ring: ring, ringIndex: ringIndex)
        s.dirtyCount &+= 1
    }

    /// The end of a turn: each destination written to flushes once (one used-index publish and
    /// at most one notification per guest RX ring, one sendmmsg per uplink).
    func flushTurn() {
        let s = scratch
        for i in 0..<s.dirtyCount {
            let d = s.dirty[i]
            switch d.owner {
            case .vhostUser(let target):
                // Guaranteed references: a retain and release each per turn were 2 Ir per frame.
                if let ring = d.ring {
                    target._withUnsafeGuaranteedRef { flushGuestRing(ring, of: $0, ringIndex: d.ringIndex) }
                }
            case .uplink(let uplink):
                uplink._withUnsafeGuaranteedRef { $0.flush() }
            default:
                // Every tap write is done when writev returns (never marked dirty); a vxlan port
                // sends its staged datagrams. Out of line, as in `deliver`.
                flushKernelPort(d.owner)
            }
        }
        s.dirtyCount = 0
    }

    @inline(never)
    func flushKernelPort(_ port: PortKind) {
        if case .vxlan(let vxlan) = port { vxlan._withUnsafeGuaranteedRef { $0.flush() } }
    }

    /// Before sleeping: every burst source asks for a wake-up; true if work arrived meanwhile
    /// (do not sleep).
    func armNotifications() -> Bool {
        var pending = false
        for slot in pollList where slot.port.common.armForSleep(slot) { pending = true }
        return pending
    }

    /// After waking: back to polling without wake-ups.
    func disarmNotifications() {
        for slot in pollList { slot.port.common.disarmAfterSleep(slot) }
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
