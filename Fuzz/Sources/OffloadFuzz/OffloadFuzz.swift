import FuzzSupport
import Virtio
@testable import Offload

// The offload path of one frame from a sender to a receiver, as Engine+Offload.swift runs it:
// the virtio-net header the sender wrote, checked against both sides' features by OffloadPolicy,
// then the partial checksum finished or the frame cut by SoftwareSegmenter (whose FrameLayout
// walks Ethernet, VLAN tags, IPv4 options / IPv6 extension headers, TCP / UDP).
//
// Input: sender features u16 (virtio feature bits 0-15), receiver features u16, the 12-byte
// virtio-net header, then the Ethernet frame.

private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 16)
private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOffload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let sender = VirtioFeatures(rawValue: UInt64(input.u16()))
    let receiver = VirtioFeatures(rawValue: UInt64(input.u16()))
    let rawHeader = input.take(VirtioNetHeader.length)
    var headerBytes = [UInt8](repeating: 0, count: VirtioNetHeader.length)
    headerBytes.withUnsafeMutableBytes { $0.copyMemory(from: rawHeader) }
    let header = headerBytes.withUnsafeBytes { VirtioNetHeader(readingFrom: $0.baseAddress!, length: VirtioNetHeader.length) }
    let source = input.rest()
    // The engine works on its own copy (gathered out of the guest's chain).
    let frame = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<source.count])
    if source.count > 0 { frame.copyMemory(from: source) }

    // The layout walk on its own, for every GSO type a header can name.
    _ = FrameLayout.parse(UnsafeRawBufferPointer(frame), gsoType: header.gsoType & ~VirtioNetHeader.gsoECN)

    let policy = OffloadPolicy(sender: sender, receiver: receiver)
    switch policy.plan(for: header, frameLength: frame.count) {
    case .deliver, .drop:
        break
    case .completeChecksum(let start, let offset):
        precondition(Checksum.completePartialChecksum(frame: frame, checksumStart: start, checksumOffset: offset),
                     "the policy let through a checksum field outside the frame")
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
