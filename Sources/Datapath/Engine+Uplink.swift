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
        let outcome = deliverToDevice(segments, header: header, l2: l2, netHeader: netHeader, from: source,
                                      to: socket, port: destination, accepting: UplinkPort.receiverFeatures,
                                      decision: decision)
        if record(outcome, port: destination) {
            markDirty(Unmanaged.passUnretained(uplink).toOpaque(), owner: owner, ring: nil, ringIndex: 0)
        }
    }
}
