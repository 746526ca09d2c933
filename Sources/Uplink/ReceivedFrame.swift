import Virtio

/// One frame of a received burst, valid until `releaseBurst()`.
///
/// `segments` is the frame from its first Ethernet byte (no virtio-net header in it). When the
/// kernel had taken the VLAN tag out (hardware or software VLAN acceleration), the tag is back:
/// the first segment is then an 18-byte scratch holding the whole tagged Ethernet header (MACs,
/// TPID + TCI, EtherType), the second the rest of the frame in the ring. Either way the first
/// segment holds at least the Ethernet header (and 18 bytes whenever the frame is tagged). `vnetHeader` is what the kernel reported (GSO type and size for a
/// GRO/LRO super-frame, NEEDS_CSUM / DATA_VALID), its offsets already moved by 4 for a restored
/// tag.
@frozen
public struct ReceivedFrame {
    public let segments: UnsafeBufferPointer<PacketSegment>
    public let length: Int
    public let vnetHeader: VirtioNetHeader
    /// True when the tag in the frame was put back from the ring's VLAN fields.
    public let tagRestored: Bool

    @inlinable
    public init(segments: UnsafeBufferPointer<PacketSegment>, length: Int, vnetHeader: VirtioNetHeader,
                tagRestored: Bool) {
        self.segments = segments
        self.length = length
        self.vnetHeader = vnetHeader
        self.tagRestored = tagRestored
    }
}
