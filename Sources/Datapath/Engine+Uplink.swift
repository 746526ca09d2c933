import GuestMemory
import Offload
import SwitchCore
import Uplink
import Virtio

/// Delivery to an uplink port.
extension Engine {
    /// Stages one frame for the uplink (sent by its flush at the end of the turn). The
    /// virtio-net header goes with it: the kernel segments GSO frames and finishes checksums.
    @inline(__always)
    func deliverToUplink<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>, header: FrameHeader,
                                               l2: UnsafeRawPointer, netHeader: VirtioNetHeader,
                                               from source: FrameSource, to uplink: UplinkPort,
                                               owner: PortKind, decision: ForwardingDecision) {
        let destination = uplink.index
        guard let socket = uplink.socket else {
            record(.dropped(.portDown), port: destination)
            return
        }
        let egress = bridge.egressTag(port: destination, vlan: decision.vlan)
        let edit = TagEdit(sourceTagged: header.isTagged, egressTagged: egress.tagged, tci: decision.egressTCI)
        let outLength = Int(header.length) &+ edit.lengthChange
        var vnet = VirtioNetHeader()
        if netHeader.flags != 0 || netHeader.gsoType != 0 {
            let policy = OffloadPolicy(sender: source.features, receiver: UplinkPort.receiverFeatures)
            guard case .deliver(let h) = policy.plan(for: netHeader, frameLength: Int(header.length)) else {
                record(.dropped(.malformedDescriptor), port: destination)
                return
            }
            vnet = h.movingOffsets(by: edit.lengthChange)
        }
        guard vnet.gsoType != VirtioNetHeader.gsoNone
            || Engine.fits(length: outLength, maximumFrameLength: socket.mtu &+ FrameHeader.untaggedHeaderLength,
                           leavesTagged: edit.egressTagged) else {
            record(.dropped(.mtuExceeded), port: destination)
            return
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
        if record(DeliveryOutcome(result, bytes: outLength), port: destination) {
            markDirty(Unmanaged.passUnretained(uplink).toOpaque(), owner: owner, ring: nil, ringIndex: 0)
        }
    }
}
