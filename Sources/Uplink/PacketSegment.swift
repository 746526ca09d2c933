import GuestMemory

/// A run of frame bytes in host memory the uplink owns: a piece of a TPACKET_V3 ring block, or
/// the scratch slot where a stripped VLAN tag was put back. Not a `GuestSegment`: no guest wrote
/// it and it has no guest-physical address (a dirty log must never see it). The datapath copies
/// from it through `ByteSegment`, specialized, like from guest memory.
@frozen
public struct PacketSegment: ByteSegment, Equatable {
    public var base: UnsafeMutableRawPointer
    public var length: Int

    @inlinable
    public init(base: UnsafeMutableRawPointer, length: Int) {
        self.base = base
        self.length = length
    }
}
