import GuestMemory
import Offload
import SwitchCore
import Uplink
import Virtio

/// Delivery to a host device (the uplink's socket, a TAP device): the frame goes with a
/// virtio-net header, so the kernel segments GSO frames and finishes partial checksums; only an
/// offload the device cannot take is refused (docs/tap-ports.md). One function for both kinds;
/// each kind's caller counts the outcome and does its own bookkeeping.
extension Engine {
    /// Re-tags one frame and hands it to `device` for port `destination`; returns what became of
    /// it, not yet counted.
    @inline(__always)
    func deliverToDevice<Device: PacketDevice, Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, header: FrameHeader, l2: UnsafeRawPointer,
        netHeader: VirtioNetHeader, from source: FrameSource, to device: Device, port destination: UInt16,
        accepting receiverFeatures: VirtioFeatures, decision: ForwardingDecision
    ) -> DeliveryOutcome {
        let egress = bridge.egressTag(port: destination, vlan: decision.vlan)
        let edit = TagEdit(sourceTagged: header.isTagged, egressTagged: egress.tagged, tci: decision.egressTCI)
        let outLength = Int(header.length) &+ edit.lengthChange
        var vnet = VirtioNetHeader()
        if netHeader.flags != 0 || netHeader.gsoType != 0 {
            let policy = OffloadPolicy(sender: source.features, receiver: receiverFeatures)
            guard case .deliver(let h) = policy.plan(for: netHeader, frameLength: Int(header.length)) else {
                return .dropped(.malformedDescriptor)
            }
            vnet = h.movingOffsets(by: edit.lengthChange)
        }
        guard vnet.gsoType != VirtioNetHeader.gsoNone
            || Engine.fits(length: outLength, maximumFrameLength: device.mtu &+ FrameHeader.untaggedHeaderLength,
                           leavesTagged: edit.egressTagged) else {
            return .dropped(.mtuExceeded)
        }
        // The L2 header from the private copy, the rest from the sender (docs/vlan-safety.md).
        let prefix: UnsafeRawBufferPointer
        if edit.changesFrame {
            let p = scratch.prefix
            prefix = UnsafeRawBufferPointer(start: p, count: Engine.writePrefix(header, l2: l2, edit: edit, to: p))
        } else {
            prefix = UnsafeRawBufferPointer(start: l2, count: header.l2Length)
        }
        let result = device.transmit(prefix: prefix, segments: segments, skipping: source.skip &+ header.l2Length,
                                     vnetHeader: vnet)
        return DeliveryOutcome(result, bytes: outLength)
    }
}
