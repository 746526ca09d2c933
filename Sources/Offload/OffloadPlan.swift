import Virtio

/// What to do with one frame on its way from a sender to a receiver
/// (docs/vhost-user-protocol.md#offload-fallbacks).
public enum OffloadPlan: Equatable, Sendable {
    /// Deliver the frame unchanged with this header (already translated for the receiver;
    /// `numBuffers` is left to the RX writer).
    case deliver(VirtioNetHeader)
    /// Finish the partial checksum with `Checksum.completePartialChecksum`, then deliver with an
    /// all-zero header.
    case completeChecksum(checksumStart: Int, checksumOffset: Int)
    /// Cut the frame into receiver-sized frames with a `SoftwareSegmenter`.
    case segment(SegmentationRequest)
    case drop(OffloadDropReason)
}

/// How the receiver wants the segments' transport checksums.
public enum SegmentChecksumMode: UInt8, Sendable {
    /// Fully computed; header flags 0 (receiver without GUEST_CSUM).
    case full
    /// Left partial with the pseudo-header sum and NEEDS_CSUM set (receiver with GUEST_CSUM):
    /// the receiver's stack finishes or ignores it, we skip a pass over the payload.
    case partial
}

public enum SegmentationKind: UInt8, Sendable {
    /// TSO: TCP segments of `segmentSize` payload bytes (IPv4 or IPv6, per the GSO type).
    case tcp
    /// UFO: IPv4 fragments carrying at most `segmentSize` bytes of the UDP datagram each.
    case udpFragments
}

public struct SegmentationRequest: Equatable, Sendable {
    public var kind: SegmentationKind
    /// The GSO type without the ECN bit (TCPV4, TCPV6 or UDP): the segmenter checks the frame's
    /// headers against it.
    public var gsoType: UInt8
    public var segmentSize: Int
    public var checksumMode: SegmentChecksumMode

    @inlinable
    public init(kind: SegmentationKind, gsoType: UInt8, segmentSize: Int, checksumMode: SegmentChecksumMode) {
        self.kind = kind
        self.gsoType = gsoType
        self.segmentSize = segmentSize
        self.checksumMode = checksumMode
    }
}
