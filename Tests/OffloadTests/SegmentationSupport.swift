import Testing
import Virtio
@testable import Offload

struct Segmented {
    var frames: [[UInt8]]
    var header: VirtioNetHeader
    var maximumSegmentLength: Int
    var announcedCount: Int
}

enum Segmentation {
    static func run(_ frame: [UInt8], kind: SegmentationKind = .tcp, gsoType: UInt8, size: Int,
                    mode: SegmentChecksumMode = .full) -> Result<Segmented, OffloadDropReason> {
        // The source sits at an odd address inside a larger buffer, like a frame in a scratch area.
        var scratch = [UInt8](repeating: 0xEE, count: frame.count + 3)
        scratch.replaceSubrange(1..<(1 + frame.count), with: frame)
        return scratch.withUnsafeBytes { raw -> Result<Segmented, OffloadDropReason> in
            let source = UnsafeRawBufferPointer(rebasing: raw[1..<(1 + frame.count)])
            let request = SegmentationRequest(kind: kind, gsoType: gsoType, segmentSize: size, checksumMode: mode)
            var segmenter: SoftwareSegmenter
            switch SoftwareSegmenter.start(frame: source, request: request) {
            case .success(let s): segmenter = s
            case .failure(let reason): return .failure(reason)
            }
            var output = [UInt8](repeating: 0, count: segmenter.maximumSegmentLength)
            var frames: [[UInt8]] = []
            while let length = output.withUnsafeMutableBytes({ segmenter.next(into: $0) }) {
                frames.append(Array(output[0..<length]))
                if frames.count > 100_000 { break }
            }
            #expect(segmenter.isFinished)
            return .success(Segmented(frames: frames, header: segmenter.segmentHeader,
                                      maximumSegmentLength: segmenter.maximumSegmentLength,
                                      announcedCount: segmenter.segmentCount))
        }
    }

    static let fin: UInt8 = 0x01, psh: UInt8 = 0x08, ack: UInt8 = 0x10, cwr: UInt8 = 0x80

    /// Checks every segment against the original with the reference checksum: sizes, IP lengths,
    /// IDs, sequence numbers, flags, payload bytes, unchanged other header bytes, checksums.
    static func verifyTCP(_ result: Segmented, original built: BuiltFrame, mss: Int, mode: SegmentChecksumMode,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        let original = built.bytes
        let headerLength = built.payload
        let payloadLength = original.count - headerLength
        let expectedCount = max(1, (payloadLength + mss - 1) / mss)
        #expect(result.frames.count == expectedCount, sourceLocation: sourceLocation)
        #expect(result.announcedCount == expectedCount, sourceLocation: sourceLocation)
        #expect(result.maximumSegmentLength == headerLength + min(mss, payloadLength), sourceLocation: sourceLocation)
        let l3 = built.network, l4 = built.transport
        let firstSequence = original.be32(l4 + 4)
        let originalFlags = original[l4 + 13]
        var reassembled: [UInt8] = []
        for (i, segment) in result.frames.enumerated() {
            let isLast = i == result.frames.count - 1
            let length = min(mss, payloadLength - i * mss)
            #expect(segment.count == headerLength + length, "segment \(i)", sourceLocation: sourceLocation)
            guard segment.count == headerLength + length else { return }
            reassembled += segment[headerLength...]
            if built.isIPv6 {
                #expect(Int(segment.be16(l3 + 4)) == segment.count - l3 - 40, sourceLocation: sourceLocation)
            } else {
                #expect(Int(segment.be16(l3 + 2)) == segment.count - l3, sourceLocation: sourceLocation)
                #expect(segment.be16(l3 + 4) == original.be16(l3 + 4) &+ UInt16(truncatingIfNeeded: i),
                        sourceLocation: sourceLocation)
                #expect(ReferenceChecksum.ipv4HeaderIsValid(frame: segment, network: l3), "IP checksum of segment \(i)",
                        sourceLocation: sourceLocation)
            }
            #expect(segment.be32(l4 + 4) == firstSequence &+ UInt32(i * mss), sourceLocation: sourceLocation)
            var flags = originalFlags
            if !isLast { flags &= ~(fin | psh) }
            if i > 0 { flags &= ~cwr }
            #expect(segment[l4 + 13] == flags, "flags of segment \(i)", sourceLocation: sourceLocation)
            // Everything else in the headers is the original's: MACs, tags, addresses, ports, ack,
            // window, options.
            var expectedHeaders = Array(original[0..<headerLength])
            var actualHeaders = Array(segment[0..<headerLength])
            for offset in (built.isIPv6 ? [l3 + 4, l3 + 5] : [l3 + 2, l3 + 3, l3 + 4, l3 + 5, l3 + 10, l3 + 11])
                + [l4 + 4, l4 + 5, l4 + 6, l4 + 7, l4 + 13, l4 + 16, l4 + 17] {
                expectedHeaders[offset] = 0
                actualHeaders[offset] = 0
            }
            #expect(actualHeaders == expectedHeaders, "headers of segment \(i)", sourceLocation: sourceLocation)
            switch mode {
            case .full:
                #expect(ReferenceChecksum.transportChecksumIsValid(frame: segment, network: l3, transport: l4,
                                                                   isIPv6: built.isIPv6, protocol: 6),
                        "TCP checksum of segment \(i)", sourceLocation: sourceLocation)
            case .partial:
                let pseudo = ReferenceChecksum.sum(ReferenceChecksum.pseudoHeader(
                    frame: segment, network: l3, isIPv6: built.isIPv6, protocol: 6, length: segment.count - l4))
                #expect(segment.be16(l4 + 16) == pseudo, sourceLocation: sourceLocation)
                var completed = segment
                _ = completed.withUnsafeMutableBytes {
                    Checksum.completePartialChecksum(frame: $0, checksumStart: l4, checksumOffset: 16)
                }
                #expect(ReferenceChecksum.transportChecksumIsValid(frame: completed, network: l3, transport: l4,
                                                                   isIPv6: built.isIPv6, protocol: 6),
                        sourceLocation: sourceLocation)
            }
        }
        #expect(reassembled == Array(original[headerLength...]), "payload bytes", sourceLocation: sourceLocation)
        switch mode {
        case .full:
            #expect(result.header == VirtioNetHeader(), sourceLocation: sourceLocation)
        case .partial:
            #expect(result.header == VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum,
                                                     checksumStart: UInt16(l4), checksumOffset: 16),
                    sourceLocation: sourceLocation)
        }
    }
}
