#if canImport(Glibc)
import Glibc
#endif
import GuestMemory
import Virtio

/// What every host-device transmit (the uplink's AF_PACKET socket, a TAP device) does before and
/// while writing one frame given as an L2 prefix plus the bytes of `segments` after `skipping`:
/// measure and check it, and lay it out as iovecs behind its virtio-net header for one
/// writev/sendmsg. One place for both devices (docs/tap-ports.md).
public enum OutgoingFrame {
    /// The frame's length, or why a device refuses it: shorter than an Ethernet header or a
    /// `skipping` past its end (`.rejected`), or longer than `mtu` + 14 without GSO and not a
    /// tagged frame within `mtu` + 18 (`.mtuExceeded`).
    @inlinable
    public static func measure<Segment: ByteSegment>(prefix: UnsafeRawBufferPointer,
                                                     segments: UnsafeBufferPointer<Segment>, skipping: Int,
                                                     vnetHeader: VirtioNetHeader, mtu: Int)
        -> (length: Int, refusal: UplinkTransmitResult?) {
        let payload = segments.byteCount
        guard skipping >= 0, skipping <= payload else { return (0, .rejected) }
        let length = prefix.count &+ payload &- skipping
        guard length >= 14 else { return (length, .rejected) }
        if length > mtu &+ 14 && vnetHeader.gsoType == VirtioNetHeader.gsoNone {
            // Only a tagged frame may carry 4 more bytes.
            guard length <= mtu &+ 18, isTagged(prefix: prefix, segments: segments, skipping: skipping) else {
                return (length, .mtuExceeded)
            }
        }
        return (length, nil)
    }

    /// Whether the outgoing frame's EtherType at offset 12 is 802.1Q or 802.1ad (slow path: only
    /// asked for frames longer than MTU + 14).
    @usableFromInline
    static func isTagged<Segment: ByteSegment>(prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<Segment>,
                                              skipping: Int) -> Bool {
        var type: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &type) { out -> Int in
            guard let o = out.baseAddress else { return 0 }
            var copied = 0
            if prefix.count > 12, let p = prefix.baseAddress {
                copied = min(2, prefix.count &- 12)
                o.copyMemory(from: p + 12, byteCount: copied)
            }
            if copied < 2 {
                let offset = skipping &+ 12 &+ copied &- min(prefix.count, 12 &+ copied)
                copied &+= segments.gather(offset: offset, count: 2 &- copied, into: o + copied)
            }
            return copied
        }
        guard got == 2 else { return false }
        let etherType = UInt16(type.0) << 8 | UInt16(type.1)
        return etherType == 0x8100 || etherType == 0x88a8
    }

    /// Fills `vectors` with the virtio-net header (`headerLength` bytes at `header`), the prefix
    /// and the bytes of `segments` after `skipping`, in order; returns how many it used, or nil
    /// when the frame needs more than `capacity` (the caller refuses it). The kernel copies before
    /// writev/sendmsg returns, so the vectors may point straight into the sender's memory.
    static func gather<Segment: ByteSegment>(header: UnsafeMutableRawPointer, headerLength: Int,
                                             prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<Segment>,
                                             skipping: Int, into vectors: UnsafeMutablePointer<iovec>,
                                             capacity: Int) -> Int? {
        vectors[0] = iovec(iov_base: header, iov_len: headerLength)
        var used = 1
        if let p = prefix.baseAddress, prefix.count > 0 {
            vectors[used] = iovec(iov_base: UnsafeMutableRawPointer(mutating: p), iov_len: prefix.count)
            used &+= 1
        }
        var skip = skipping
        for segment in segments {
            if skip >= segment.length {
                skip &-= segment.length
                continue
            }
            guard used < capacity else { return nil }
            vectors[used] = iovec(iov_base: segment.base + skip, iov_len: segment.length &- skip)
            used &+= 1
            skip = 0
        }
        return used
    }
}

/// A host device the engine writes frames to with their virtio-net header (the uplink's socket, a
/// TAP device): the kernel segments GSO frames and finishes partial checksums as the header asks.
public protocol PacketDevice: AnyObject {
    /// Of the interface: frames may be MTU + 14 bytes (+ 4 tagged), GSO frames longer.
    var mtu: Int { get }
    /// Writes or stages the prefix, then the bytes of `segments` after `skipping`.
    func transmit<Segment: ByteSegment>(prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<Segment>,
                                        skipping: Int, vnetHeader: VirtioNetHeader) -> UplinkTransmitResult
}

/// A host device the engine reads bursts of frames from (the uplink's ring, a TAP device):
/// frame `i` of the last `receiveBurst` stays valid until `releaseBurst`.
public protocol PacketSource: AnyObject {
    func receiveBurst(max: Int) -> Int
    func frame(_ index: Int) -> ReceivedFrame
    func releaseBurst()
}

extension UplinkSocket: PacketDevice, PacketSource {}
extension TapDevice: PacketDevice, PacketSource {
    /// Nothing to give back: the slots are read into again by the next `receiveBurst`.
    public func releaseBurst() {}
}
