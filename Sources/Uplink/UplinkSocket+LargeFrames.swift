#if canImport(Glibc)
import Glibc
#endif
import GuestMemory
import Virtio

/// GSO frames — a guest's TSO super-frames, up to 64 KiB — and anything else bigger than a TX
/// slot go out through the ringless socket, one sendmsg(2) each, gathered straight from the
/// segments (the kernel copies before sendmsg returns, so nothing has to outlive the call). The
/// kernel, or the NIC if it does TSO, cuts them into MSS-sized segments using the virtio-net
/// header. This socket never bypasses the qdisc: the bypass drops frames that need software GSO.
extension UplinkSocket {
    @usableFromInline
    func transmitLarge<Segment: ByteSegment>(prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<Segment>,
                       skipping: Int, length: Int, vnetHeader: VirtioNetHeader) -> UplinkTransmitResult {
        // Keep frame order: what is queued in the ring leaves first.
        flush()
        vnetHeader.write(to: largeFrameHeader, length: TPacket.vnetHeaderLength)
        guard let used = OutgoingFrame.gather(header: largeFrameHeader, headerLength: TPacket.vnetHeaderLength,
                                              prefix: prefix, segments: segments, skipping: skipping,
                                              into: largeFrameVectors, capacity: Self.largeFrameVectorCapacity)
        else { return refuse(.rejected) }
        var message = msghdr()
        message.msg_iov = largeFrameVectors
        message.msg_iovlen = used
        var rc: Int
        repeat {
            rc = sendmsg(largeFrameSocket.rawValue, &message, Int32(MSG_DONTWAIT))
        } while rc < 0 && errno == EINTR
        guard rc >= 0 else {
            switch errno {
            case EAGAIN, ENOBUFS: return refuse(.ringFull)
            case EMSGSIZE: return refuse(.mtuExceeded)
            default: return refuse(.rejected)
            }
        }
        counters.transmittedFrames &+= 1
        counters.transmittedBytes &+= UInt64(length)
        counters.largeFrames &+= 1
        return .queued
    }
}
