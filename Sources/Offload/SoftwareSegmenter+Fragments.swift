import Virtio

extension SoftwareSegmenter {
    static let ipv4MoreFragments: UInt16 = 0x2000

    /// UFO: the sender handed over one UDP datagram larger than the MTU with a partial checksum;
    /// a receiver without GUEST_UFO gets IPv4 fragments of it (what UFO means on the wire). The
    /// checksum covers the whole datagram, so it is finished here, before cutting.
    static func startFragments(_ source: UnsafeRawPointer, length: Int, layout: FrameLayout,
                               segmentSize: Int) -> Result<SoftwareSegmenter, OffloadDropReason> {
        // Fragment offsets count 8-byte units: every fragment but the last carries a multiple of
        // 8 bytes, and the first must hold the 8-byte UDP header.
        let chunk = segmentSize & ~7
        guard chunk >= 8 else { return .failure(.gsoSizeTooSmall) }
        let l4 = layout.transportOffset
        let udpLength = length - l4
        guard Int(source.loadBigEndianUInt16(at: l4 + 4)) == udpLength else { return .failure(.inconsistentLength) }
        // Sum the UDP header without its checksum field, then the data: the field's partial value
        // is not trusted, the pseudo-header is recomputed from the IP header.
        var sum = Checksum.sum(source + l4, count: 6)
        sum = Checksum.sum(source + l4 + 8, count: udpLength - 8, initial: sum)
        let pseudo = Checksum.pseudoHeaderSumIPv4(ipv4Header: source + layout.networkOffset,
                                                  protocol: Checksum.protocolUDP, upperLayerLength: udpLength)
        let checksum = ~Checksum.combine(sum, pseudo)
        return .success(SoftwareSegmenter(
            source: source, length: length, layout: layout, kind: .udpFragments, checksumMode: .full,
            copiedHeaderLength: l4, chunkSize: chunk, sequence: 0,
            identification: source.loadBigEndianUInt16(at: layout.networkOffset + 4),
            // RFC 768: a computed 0 is sent as all ones; 0 means "no checksum".
            udpChecksum: checksum == 0 ? 0xFFFF : checksum, segmentHeader: VirtioNetHeader()))
    }

    /// Rewrites the copied IPv4 header of one fragment: all fragments share the identification;
    /// DF is cleared (we are fragmenting on the sender's behalf, as Linux's UFO path does).
    func finishFragment(_ out: UnsafeMutableRawPointer, frameLength: Int, fragmentOffset: Int, isLast: Bool) {
        let l3 = layout.networkOffset
        out.storeBigEndian(UInt16(truncatingIfNeeded: frameLength - l3), at: l3 + 2)
        let field = UInt16(truncatingIfNeeded: fragmentOffset >> 3) | (isLast ? 0 : Self.ipv4MoreFragments)
        out.storeBigEndian(field, at: l3 + 6)
        Checksum.fillIPv4HeaderChecksum(out + l3, headerLength: layout.transportOffset - l3)
        if fragmentOffset == 0 {
            out.storeBigEndian(udpChecksum, at: layout.transportOffset + 6)
        }
    }
}
