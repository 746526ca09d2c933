import Virtio

extension SoftwareSegmenter {
    static let tcpFIN: UInt8 = 0x01
    static let tcpPSH: UInt8 = 0x08
    static let tcpCWR: UInt8 = 0x80

    init(tcp source: UnsafeRawPointer, length: Int, layout: FrameLayout, segmentSize: Int,
         mode: SegmentChecksumMode) {
        let header = mode == .partial
            ? VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum,
                              checksumStart: UInt16(truncatingIfNeeded: layout.transportOffset),
                              checksumOffset: 16)
            : VirtioNetHeader()
        self.init(source: source, length: length, layout: layout, kind: .tcp, checksumMode: mode,
                  copiedHeaderLength: layout.payloadOffset, chunkSize: segmentSize,
                  sequence: source.loadBigEndianUInt32(at: layout.transportOffset + 4),
                  identification: layout.isIPv6 ? 0 : source.loadBigEndianUInt16(at: layout.networkOffset + 4),
                  udpChecksum: 0, segmentHeader: header)
    }

    /// Rewrites the copied headers of one TCP segment the way Linux's tcp_gso_segment does.
    func finishTCPSegment(_ out: UnsafeMutableRawPointer, frameLength: Int, payloadOffset: Int, isLast: Bool) {
        let l3 = layout.networkOffset
        let l4 = layout.transportOffset
        let tcpLength = frameLength - l4
        let pseudo: UInt16
        if layout.isIPv6 {
            out.storeBigEndian(UInt16(truncatingIfNeeded: frameLength - l3 - 40), at: l3 + 4)
            pseudo = Checksum.pseudoHeaderSumIPv6(ipv6Header: out + l3, protocol: Checksum.protocolTCP,
                                                  upperLayerLength: tcpLength)
        } else {
            let headerLength = l4 - l3
            out.storeBigEndian(UInt16(truncatingIfNeeded: frameLength - l3), at: l3 + 2)
            // Consecutive IDs, as the sender's stack would have used for separate segments.
            out.storeBigEndian(firstIdentification &+ UInt16(truncatingIfNeeded: producedCount), at: l3 + 4)
            Checksum.fillIPv4HeaderChecksum(out + l3, headerLength: headerLength)
            pseudo = Checksum.pseudoHeaderSumIPv4(ipv4Header: out + l3, protocol: Checksum.protocolTCP,
                                                  upperLayerLength: tcpLength)
        }
        out.storeBigEndian(firstSequenceNumber &+ UInt32(truncatingIfNeeded: payloadOffset), at: l4 + 4)
        var flags = UnsafeRawPointer(out).loadByte(at: l4 + 13)
        // FIN and PSH belong to the end of the data, CWR to its start (RFC 3168 §6.1.2: once).
        if !isLast { flags &= ~(Self.tcpFIN | Self.tcpPSH) }
        if producedCount > 0 { flags &= ~Self.tcpCWR }
        out.storeByte(flags, at: l4 + 13)
        switch checksumMode {
        case .full:
            out.storeBigEndian(UInt16(0), at: l4 + 16)
            out.storeBigEndian(Checksum.internetChecksum(out + l4, count: tcpLength, initial: pseudo), at: l4 + 16)
        case .partial:
            // What a NEEDS_CSUM field holds: the uncomplemented pseudo-header sum.
            out.storeBigEndian(pseudo, at: l4 + 16)
        }
    }
}
