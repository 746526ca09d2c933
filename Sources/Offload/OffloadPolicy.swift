import Virtio

/// The offload rules for one (sender, receiver) pair of negotiated feature sets, reduced once to
/// a few bit masks (features change only on SET_FEATURES) so that `plan(for:frameLength:)` costs a
/// handful of bit tests per frame. What a sender may send:
/// docs/vhost-user-protocol.md#offload-validation; what to do when the receiver cannot take it:
/// docs/vhost-user-protocol.md#offload-fallbacks.
public struct OffloadPolicy: Equatable, Sendable {
    /// Sender negotiated CSUM: it may send NEEDS_CSUM.
    @usableFromInline let senderChecksum: Bool
    /// Bit `1 << gsoType` for each GSO type the sender's HOST_* features allow.
    @usableFromInline let senderGSOTypes: UInt8
    @usableFromInline let senderECN: Bool
    /// Receiver negotiated GUEST_CSUM: it takes NEEDS_CSUM and DATA_VALID.
    @usableFromInline let receiverChecksum: Bool
    /// Bit `1 << gsoType` for each GSO type the receiver's GUEST_* features accept.
    @usableFromInline let receiverGSOTypes: UInt8
    @usableFromInline let receiverECN: Bool

    /// HOST_USO (bit 56) has no VirtioFeatures constant: we never offer it, but a sender that
    /// somehow has it gets `unsupportedOffload` rather than `gsoTypeNotNegotiated`.
    static let hostUSO = VirtioFeatures(bit: 56)

    public init(sender: VirtioFeatures, receiver: VirtioFeatures) {
        senderChecksum = sender.contains(.csum)
        var sending: UInt8 = 0
        if sender.contains(.hostTSO4) { sending |= Self.bit(VirtioNetHeader.gsoTCPv4) }
        if sender.contains(.hostTSO6) { sending |= Self.bit(VirtioNetHeader.gsoTCPv6) }
        if sender.contains(.hostUFO) { sending |= Self.bit(VirtioNetHeader.gsoUDP) }
        if sender.contains(Self.hostUSO) { sending |= Self.bit(VirtioNetHeader.gsoUDPL4) }
        senderGSOTypes = sending
        senderECN = sender.contains(.hostECN)

        receiverChecksum = receiver.contains(.guestCsum)
        var receiving: UInt8 = 0
        // Every GSO frame on RX carries NEEDS_CSUM, so GUEST_TSO*/UFO count only with GUEST_CSUM
        // (the spec makes them depend on it; a front-end that acks them alone gets segments).
        if receiverChecksum {
            if receiver.contains(.guestTSO4) { receiving |= Self.bit(VirtioNetHeader.gsoTCPv4) }
            if receiver.contains(.guestTSO6) { receiving |= Self.bit(VirtioNetHeader.gsoTCPv6) }
            if receiver.contains(.guestUFO) { receiving |= Self.bit(VirtioNetHeader.gsoUDP) }
        }
        receiverGSOTypes = receiving
        receiverECN = receiver.contains(.guestECN)
    }

    @inlinable @inline(__always)
    static func bit(_ gsoType: UInt8) -> UInt8 { 1 << (gsoType & 7) }

    /// Bits 1 (TCPV4), 3 (UDP), 4 (TCPV6), 5 (UDP_L4); a literal so the frame path does no
    /// lazy-global check.
    @inlinable static var knownGSOTypes: UInt8 { 0b0011_1010 }

    /// Decides what to do with one frame of `frameLength` bytes (Ethernet frame, no virtio
    /// header) that the sender sent with `header`. Checks only the header against the length and
    /// the features; the segmenter checks the frame's own headers.
    @inlinable
    public func plan(for header: VirtioNetHeader, frameLength: Int) -> OffloadPlan {
        guard frameLength >= 14 else { return .drop(.frameTooShort) }
        let needsChecksum = header.flags & VirtioNetHeader.flagNeedsChecksum != 0
        if needsChecksum {
            guard senderChecksum else { return .drop(.checksumNotNegotiated) }
            guard Int(header.checksumStart) + Int(header.checksumOffset) + 2 <= frameLength else {
                return .drop(.checksumOutOfBounds)
            }
        }
        if header.gsoType == VirtioNetHeader.gsoNone {
            if needsChecksum {
                guard receiverChecksum else {
                    return .completeChecksum(checksumStart: Int(header.checksumStart),
                                             checksumOffset: Int(header.checksumOffset))
                }
                return .deliver(VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum,
                                                checksumStart: header.checksumStart,
                                                checksumOffset: header.checksumOffset))
            }
            // DATA_VALID means "already verified": harmless to forward, meaningless without GUEST_CSUM.
            let valid = receiverChecksum ? header.flags & VirtioNetHeader.flagDataValid : 0
            return .deliver(VirtioNetHeader(flags: valid))
        }
        return planGSO(header, needsChecksum: needsChecksum)
    }

    @inlinable
    func planGSO(_ header: VirtioNetHeader, needsChecksum: Bool) -> OffloadPlan {
        let type = header.gsoType & ~VirtioNetHeader.gsoECN
        guard type < 8, Self.knownGSOTypes & Self.bit(type) != 0 else { return .drop(.unknownGSOType) }
        let typeBit = Self.bit(type)
        guard senderGSOTypes & typeBit != 0 else { return .drop(.gsoTypeNotNegotiated) }
        let ecn = header.gsoType & VirtioNetHeader.gsoECN != 0
        guard !ecn || senderECN else { return .drop(.gsoECNNotNegotiated) }
        guard header.gsoSize > 0 else { return .drop(.gsoSizeZero) }
        guard needsChecksum else { return .drop(.gsoWithoutChecksum) }

        if receiverGSOTypes & typeBit != 0 && (!ecn || receiverECN) {
            return .deliver(VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, gsoType: header.gsoType,
                                            headerLength: header.headerLength, gsoSize: header.gsoSize,
                                            checksumStart: header.checksumStart,
                                            checksumOffset: header.checksumOffset))
        }
        switch type {
        case VirtioNetHeader.gsoTCPv4, VirtioNetHeader.gsoTCPv6:
            return .segment(SegmentationRequest(kind: .tcp, gsoType: type, segmentSize: Int(header.gsoSize),
                                                checksumMode: receiverChecksum ? .partial : .full))
        case VirtioNetHeader.gsoUDP:
            // A fragment carries no transport checksum of its own: the datagram's must be complete.
            return .segment(SegmentationRequest(kind: .udpFragments, gsoType: type,
                                                segmentSize: Int(header.gsoSize), checksumMode: .full))
        default:
            return .drop(.unsupportedOffload)
        }
    }
}
