import GuestMemory
import Offload
import SwitchCore
import Uplink
import Virtio

/// Delivery to a vxlan port (docs/vxlan-ports.md): each frame is copied into the tunnel's staging
/// area behind its UDP and VXLAN headers and sent with the turn's one sendmmsg, to the VTEP its
/// destination MAC was learned behind or to every address of the flood list.
extension Engine {
    /// Encapsulates one frame. Out of line, as a tap's delivery: it keeps the other kinds' hot
    /// loop as it was.
    @inline(never)
    func deliverToVxlan<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>, header: FrameHeader,
                                              l2: UnsafeRawPointer, netHeader: VirtioNetHeader,
                                              from source: FrameSource, to port: VxlanPort, owner: PortKind,
                                              decision: ForwardingDecision) {
        let destination = port.index
        let egress = bridge.egressTag(port: destination, vlan: decision.vlan)
        let edit = TagEdit(sourceTagged: header.isTagged, egressTagged: egress.tagged, tci: decision.egressTCI)
        // Nothing after the raw socket finishes a checksum or cuts a GSO frame: done here.
        if netHeader.flags != 0 || netHeader.gsoType != 0 {
            deliverOffloadedToVxlan(segments, header: header, l2: l2, netHeader: netHeader, from: source, to: port,
                                    owner: owner, edit: edit)
            return
        }
        let outLength = Int(header.length) &+ edit.lengthChange
        guard vxlanFits(outLength, port: port, tagged: edit.egressTagged) else {
            record(.dropped(.mtuExceeded), port: destination)
            return
        }
        let (targets, count) = vxlanTargets(port, destinationMAC: l2)
        guard count > 0 else {
            record(.dropped(.portDown), port: destination)
            return
        }
        // The L2 header from the private copy, the rest from the sender (docs/vlan-safety.md).
        let tunnel = port.tunnel
        let inner = tunnel.reserveInner()
        let written: Int
        if edit.changesFrame {
            written = Engine.writePrefix(header, l2: l2, edit: edit, to: inner)
        } else {
            inner.copyMemory(from: l2, byteCount: header.l2Length)
            written = header.l2Length
        }
        let rest = outLength &- written
        guard segments.gather(offset: source.skip &+ header.l2Length, count: rest, into: inner + written) == rest else {
            record(.dropped(.txError), port: destination)
            return
        }
        tunnel.commit(innerLength: outLength, sourcePort: VxlanTunnel.entropyPort(inner: inner, length: outLength),
                      destinations: targets, count: count)
        record(.delivered(bytes: outLength), port: destination)
        markDirty(Unmanaged.passUnretained(port).toOpaque(), owner: owner, ring: nil, ringIndex: 0)
    }

    /// The port's MTU, and the underlay's: encapsulated, the frame must fit one IP packet (never
    /// fragmented, RFC 7348 §4.3).
    @inline(__always)
    private func vxlanFits(_ length: Int, port: VxlanPort, tagged: Bool) -> Bool {
        Engine.fits(length: length, maximumFrameLength: port.spec.mtu &+ FrameHeader.untaggedHeaderLength,
                    leavesTagged: tagged)
            && length &+ VxlanTunnel.underlayOverhead <= port.tunnel.underlayMTU
    }

    /// Known unicast: the one VTEP the MAC was learned behind (young enough); anything else: the
    /// flood list (head-end replication).
    @inline(__always)
    private func vxlanTargets(_ port: VxlanPort, destinationMAC mac: UnsafeRawPointer) -> (UnsafePointer<UInt32>, Int) {
        let tunnel = port.tunnel
        if mac.load(as: UInt8.self) & 1 == 0,
           let vtep = tunnel.remotes.lookup(mac: VxlanTunnel.mac(at: mac), now: clock.now, maxAge: bridge.fdb.agingTime) {
            port.unicastDestination.pointee = vtep
            return (UnsafePointer(port.unicastDestination), 1)
        }
        return (UnsafePointer(tunnel.floodList), tunnel.floodCount)
    }

    /// A frame with a partial checksum or a GSO request: the plan for a receiver that takes no
    /// offload, as for a guest without them (docs/vhost-user-protocol.md#offload-fallbacks): the
    /// checksum finished, a GSO frame cut into segments, each encapsulated on its own.
    @inline(never)
    private func deliverOffloadedToVxlan<Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, header: FrameHeader, l2: UnsafeRawPointer, netHeader: VirtioNetHeader,
        from source: FrameSource, to port: VxlanPort, owner: PortKind, edit: TagEdit
    ) {
        let destination = port.index
        let policy = OffloadPolicy(sender: source.features, receiver: [])
        switch policy.plan(for: netHeader, frameLength: Int(header.length)) {
        case .deliver:
            guard let frame = gather(segments, skipping: source.skip, header: header, l2: l2, edit: edit) else {
                bridge.recordTransmitDrop(port: destination, reason: .oversize)
                return
            }
            stageContiguous(UnsafeRawBufferPointer(frame), to: port, owner: owner, tagged: edit.egressTagged)
        case .completeChecksum(let start, let offset):
            guard let frame = gatherCompletingChecksum(segments, from: source, header: header, l2: l2, edit: edit,
                                                       start: start, offset: offset, destination: destination)
            else { return }
            stageContiguous(UnsafeRawBufferPointer(frame), to: port, owner: owner, tagged: edit.egressTagged)
        case .segment(let request):
            if var segmenter = startSegmentation(segments, from: source, header: header, l2: l2, edit: edit,
                                                 request: request, destination: destination) {
                // Checked once for the largest: a GSO size the tunnel cannot carry drops the frame.
                guard vxlanFits(segmenter.maximumSegmentLength, port: port, tagged: edit.egressTagged) else {
                    bridge.recordTransmitDrop(port: destination, reason: .mtuExceeded)
                    return
                }
                let out = scratch.offloadSegment
                while let n = segmenter.next(into: out) {
                    guard stageContiguous(UnsafeRawBufferPointer(rebasing: out[0..<n]), to: port, owner: owner,
                                          tagged: edit.egressTagged) else { break }
                }
            }
        case .drop(let why):
            bridge.recordTransmitDrop(port: destination, reason: why.isMalformed ? .malformedDescriptor : .unsupportedOffload)
        }
    }

    /// Encapsulates a frame in our own memory (software-offload output); false when it was
    /// dropped (and counted).
    @discardableResult
    private func stageContiguous(_ frame: UnsafeRawBufferPointer, to port: VxlanPort, owner: PortKind, tagged: Bool) -> Bool {
        let destination = port.index
        guard let base = frame.baseAddress, frame.count >= FrameHeader.untaggedHeaderLength else {
            return record(.dropped(.malformedDescriptor), port: destination)
        }
        guard vxlanFits(frame.count, port: port, tagged: tagged) else {
            return record(.dropped(.mtuExceeded), port: destination)
        }
        let (targets, count) = vxlanTargets(port, destinationMAC: base)
        guard count > 0 else { return record(.dropped(.portDown), port: destination) }
        let tunnel = port.tunnel
        let inner = tunnel.reserveInner()
        inner.copyMemory(from: base, byteCount: frame.count)
        tunnel.commit(innerLength: frame.count, sourcePort: VxlanTunnel.entropyPort(inner: inner, length: frame.count),
                      destinations: targets, count: count)
        markDirty(Unmanaged.passUnretained(port).toOpaque(), owner: owner, ring: nil, ringIndex: 0)
        return record(.delivered(bytes: frame.count), port: destination)
    }
}
