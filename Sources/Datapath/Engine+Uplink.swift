import GuestMemory
import Offload
import SwitchCore
import Uplink
import Virtio

/// The uplink as one more port of the burst loop.
extension Engine {
    /// One burst from each running uplink's receive ring; returns the frames moved.
    func pollUplinks(now: UInt32) -> Int {
        var moved = 0
        for i in 0..<uplinkList.count {
            unowned(unsafe) let port = uplinkList[i].takeUnretainedValue()
            guard let socket = port.socket else { continue }
            moved &+= forwardBurst(from: socket, of: port, now: now)
        }
        return moved
    }

    @inline(__always)
    private func forwardBurst(from socket: UplinkSocket, of port: UplinkPort, now: UInt32) -> Int {
        let n = socket.receiveBurst(max: BurstScratch.burstSize)
        guard n > 0 else { return 0 }
        let s = scratch
        for i in 0..<n {
            let frame = socket.frame(i)
            // The first segment holds at least the Ethernet header (with a restored tag, all 18
            // bytes of it), so it parses in place: the ring block is ours until `releaseBurst` and
            // nothing else writes it, so it serves as the private copy of the L2 header
            // (docs/vlan-safety.md). A tag the kernel took out is back in it (with its TPID), and
            // the EtherType behind it is the frame's own, so a second tag shows as `hasTagStack`.
            let first = frame.segments[0]
            var h = FrameHeader.parse(UnsafeRawPointer(first.base), length: min(first.length, frame.length))
            h.length = UInt32(truncatingIfNeeded: frame.length)
            s.headers[i] = h
            s.netHeaders[i] = frame.vnetHeader
        }
        core.decide(ingress: port.index, frames: s.headers, count: n, into: s.decisions, now: now)
        let from = FrameSource(index: port.index, skip: 0, features: UplinkPort.senderFeatures)
        for i in 0..<n {
            let segments = socket.frame(i).segments
            forward(segments, header: s.headers + i, l2: UnsafeRawPointer(segments[0].base), netHeader: s.netHeaders + i,
                    from: from, pair: 0, decision: s.decisions + i)
        }
        socket.releaseBurst()
        return n
    }

    /// Stages one frame for the uplink (sent by `flushUplinks` at the end of the turn). The
    /// virtio-net header goes with it: the kernel segments GSO frames and finishes checksums.
    @inline(__always)
    func deliverToUplink(_ segments: UnsafeBufferPointer<GuestSegment>, header: FrameHeader, l2: UnsafeRawPointer,
                         netHeader: VirtioNetHeader, from source: FrameSource, to uplink: UplinkPort,
                         decision: ForwardingDecision) {
        let destination = uplink.index
        guard let socket = uplink.socket else {
            core.recordTransmitDrop(port: destination, reason: .portDown)
            return
        }
        let egress = core.egressTag(port: destination, vlan: decision.vlan)
        let edit = TagEdit(sourceTagged: header.isTagged, egressTagged: egress.tagged, tci: decision.egressTCI)
        var vnet = VirtioNetHeader()
        if netHeader.flags != 0 || netHeader.gsoType != 0 {
            let policy = OffloadPolicy(sender: source.features, receiver: UplinkPort.receiverFeatures)
            guard case .deliver(let h) = policy.plan(for: netHeader, frameLength: Int(header.length)) else {
                core.recordTransmitDrop(port: destination, reason: .malformedDescriptor)
                return
            }
            vnet = h.movingOffsets(by: edit.lengthChange)
        }
        // The L2 header from the private copy, the rest from the sender (docs/vlan-safety.md).
        let prefix: UnsafeRawBufferPointer
        if edit.changesFrame {
            let p = scratch.prefix
            prefix = UnsafeRawBufferPointer(start: p, count: Engine.writePrefix(header, l2: l2, edit: edit, to: p))
        } else {
            prefix = UnsafeRawBufferPointer(start: l2, count: header.l2Length)
        }
        let result = socket.transmit(prefix: prefix, segments: segments, skipping: source.skip &+ header.l2Length,
                                     vnetHeader: vnet)
        switch result {
        case .queued:
            core.recordTransmit(port: destination, frames: 1,
                                bytes: UInt64(Int(header.length) &+ edit.lengthChange))
        case .ringFull:
            core.recordTransmitDrop(port: destination, reason: .rxRingFull)
        case .mtuExceeded:
            core.recordTransmitDrop(port: destination, reason: .mtuExceeded)
        case .rejected:
            core.recordTransmitDrop(port: destination, reason: .txError)
        }
    }

    /// One sendmmsg per uplink per turn for everything staged.
    func flushUplinks() {
        for i in 0..<uplinkList.count {
            unowned(unsafe) let port = uplinkList[i].takeUnretainedValue()
            if let socket = port.link.socket, socket.pendingTransmits > 0 { socket.flush() }
        }
    }

    /// True when an uplink has frames waiting (the engine must not sleep).
    var uplinksHavePendingFrames: Bool {
        for i in 0..<uplinkList.count where uplinkList[i].takeUnretainedValue().socket?.hasPendingFrames == true {
            return true
        }
        return false
    }

    /// Called whenever an uplink appears, goes or changes state (cold path).
    func rebuildUplinkList() {
        uplinkList = ports.compactMap { $0?.uplink.map { Unmanaged.passUnretained($0) } }
    }
}
