import FuzzSupport
import Virtio
@testable import Offload

// The offload path of one frame from a sender to a receiver, as Engine+Offload.swift runs it:
// the virtio-net header the sender wrote, checked against both sides' features by OffloadPolicy,
// then the partial checksum finished or the frame cut by SoftwareSegmenter (whose FrameLayout
// walks Ethernet, VLAN tags, IPv4 options / IPv6 extension headers, TCP / UDP).
//
// Input: sender features u16 (virtio feature bits 0-15), receiver features u16, a tag edit byte
// (0: none; 1: the switch adds an 802.1Q tag, 2: it strips the frame's tag, as Engine+Forwarding's
// TagEdit does between access and trunk ports), the 12-byte virtio-net header, then the frame.

private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 16)
private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOffload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let sender = VirtioFeatures(rawValue: UInt64(input.u16()))
    let receiver = VirtioFeatures(rawValue: UInt64(input.u16()))
    let tagEdit = input.u8() % 3
    let rawHeader = input.take(VirtioNetHeader.length)
    var headerBytes = [UInt8](repeating: 0, count: VirtioNetHeader.length)
    headerBytes.withUnsafeMutableBytes { $0.copyMemory(from: rawHeader) }
    let header = headerBytes.withUnsafeBytes { VirtioNetHeader(readingFrom: $0.baseAddress!, length: VirtioNetHeader.length) }
    let source = input.rest()
    // The policy judges the frame as the sender sent it; the engine then works on its own copy
    // (gathered out of the guest's chain), re-tagged, with the header's offsets moved to match.
    let sentLength = source.count
    let sourceTagged = sentLength >= 18 && source[12] == 0x81 && source[13] == 0x00
    var delta = 0
    if tagEdit == 1 { delta = 4 } else if tagEdit == 2, sourceTagged { delta = -4 }
    let frame = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(sentLength + delta)])
    if delta == 0 {
        if sentLength > 0 { frame.copyMemory(from: source) }
    } else {
        let prefix = min(12, sentLength)
        frame.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: prefix)
        if delta > 0 {
            (frame.baseAddress! + prefix).copyMemory(from: [UInt8(0x81), 0, 0, 10], byteCount: 4)
            (frame.baseAddress! + prefix + 4).copyMemory(from: source.baseAddress! + prefix, byteCount: sentLength - prefix)
        } else {
            (frame.baseAddress! + 12).copyMemory(from: source.baseAddress! + 16, byteCount: sentLength - 16)
        }
    }

    // The layout walk on its own, for every GSO type a header can name.
    _ = FrameLayout.parse(UnsafeRawBufferPointer(frame), gsoType: header.gsoType & ~VirtioNetHeader.gsoECN)

    let policy = OffloadPolicy(sender: sender, receiver: receiver)
    switch policy.plan(for: header, frameLength: sentLength) {
    case .deliver(let translated):
        _ = translated.movingOffsets(by: delta)
    case .drop:
        break
    case .completeChecksum(let start, let offset):
        let inside = Checksum.completePartialChecksum(frame: frame, checksumStart: start &+ delta, checksumOffset: offset)
        // Only a stripped tag can move the field out (before byte 0); the engine counts that as malformed.
        precondition(inside || (delta < 0 && start < 4), "the policy let through a checksum field outside the frame")
    case .segment(let request):
        guard case .success(var segmenter) = SoftwareSegmenter.start(frame: UnsafeRawBufferPointer(frame), request: request)
        else { break }
        precondition(segmenter.maximumSegmentLength <= output.count)
        var produced = 0
        while let n = segmenter.next(into: output) {
            precondition(n > 0 && n <= segmenter.maximumSegmentLength, "segment of \(n) bytes")
            produced += 1
            precondition(produced <= segmenter.segmentCount)
        }
        precondition(produced == segmenter.segmentCount && segmenter.isFinished)
    }
    return 0
}
