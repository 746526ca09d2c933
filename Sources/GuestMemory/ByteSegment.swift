/// A run of bytes in our own address space, whoever owns the memory: a translated piece of a
/// guest buffer (`GuestSegment`) or a frame in a host ring such as the uplink's AF_PACKET block
/// (`Uplink.PacketSegment`). The datapath's copy path is generic over it and specialized for
/// each type, so a frame from either source costs the same as before (docs/hot-path.md, "Port
/// table and ring seam"). Guest-only facts (a guest-physical address for a dirty log) belong on
/// `GuestSegment`, never here.
public protocol ByteSegment {
    var base: UnsafeMutableRawPointer { get }
    var length: Int { get }
}

extension GuestSegment: ByteSegment {}

extension UnsafeBufferPointer where Element: ByteSegment {
    /// Copies up to `count` bytes of the byte stream formed by the segments, starting `offset`
    /// bytes into it, to `destination`; returns the bytes copied (less than `count` if the stream
    /// ends). Used to read a header the driver split across descriptors (ANY_LAYOUT / VERSION_1).
    @inlinable
    public func gather(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) -> Int {
        guard offset >= 0, count > 0 else { return 0 }
        var skip = offset
        var copied = 0
        for segment in self {
            let length = segment.length
            if skip >= length {
                skip &-= length
                continue
            }
            let n = Swift.min(length &- skip, count &- copied)
            (destination + copied).copyMemory(from: segment.base + skip, byteCount: n)
            copied &+= n
            skip = 0
            if copied == count { break }
        }
        return copied
    }

    /// The bytes in all segments.
    @inlinable
    public var byteCount: Int {
        var total = 0
        for segment in self { total &+= segment.length }
        return total
    }
}
