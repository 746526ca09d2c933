/// Why a frame cannot be delivered to a receiver. `isMalformed` separates a sender breaking the
/// virtio rules (count against the sender) from a valid frame we cannot convert (count against
/// the pair of peers).
public enum OffloadDropReason: UInt8, Error, Sendable, CaseIterable {
    // The virtio-net header contradicts the frame or the sender's negotiated features
    // (docs/vhost-user-protocol.md#offload-validation).
    case frameTooShort
    case checksumNotNegotiated
    case checksumOutOfBounds
    case unknownGSOType
    case gsoTypeNotNegotiated
    case gsoECNNotNegotiated
    case gsoSizeZero
    /// Virtio 1.x 5.1.6.2.1: a driver sending GSO MUST also set NEEDS_CSUM.
    case gsoWithoutChecksum
    // The frame's own headers contradict the GSO type or each other.
    case headersMismatchGSOType
    case truncatedHeaders
    case fragmentedDatagram
    /// The UDP length field disagrees with the frame.
    case inconsistentLength
    /// More than 65535 bytes after the IP header: no IP length field could describe it.
    case oversizedDatagram
    /// UFO: fragments carry multiples of 8 bytes and the first must hold the UDP header.
    case gsoSizeTooSmall

    // Valid, but no software fallback exists for this receiver.
    case unsupportedOffload
    case ipv6ExtensionHeaderUnsupported

    public var isMalformed: Bool {
        switch self {
        case .unsupportedOffload, .ipv6ExtensionHeaderUnsupported: false
        default: true
        }
    }
}
