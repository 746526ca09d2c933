@testable import Datapath
import SwitchCore
import Testing

/// The engine's L2 header rule, structurally (docs/vlan-safety.md, "Time of check, time of use"):
/// parse a private copy, let the sender rewrite its buffer, then build the frame as every
/// delivery path does (the L2 header from the copy, re-tagged or not, the rest from the source).
/// What leaves carries the header the core decided on.
@Suite struct HeaderCopyTests {
    static let payload: [UInt8] = (0..<60).map { UInt8(truncatingIfNeeded: $0 &* 13) }
    static let untagged = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 78)
    static let tagged = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), vlan: 10, pcp: 3, length: 82)

    /// Copies and parses `frame` like `forwardBurst`, rewrites the source's L2 header (another
    /// destination, a VLAN 20 tag where the EtherType was, an inner tag), then assembles the
    /// output for the edit.
    func deliverAfterRewrite(_ frame: [UInt8], egressTagged: Bool, tci: UInt16) -> (FrameHeader, [UInt8]) {
        var source = frame
        let copy = UnsafeMutableRawPointer.allocate(byteCount: BurstScratch.headerCopyStride, alignment: 16)
        let prefix = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 16)
        defer { copy.deallocate(); prefix.deallocate() }
        let header = source.withUnsafeBytes { raw -> FrameHeader in
            Engine.copyHeader(from: raw.baseAddress!, to: copy)
            return FrameHeader.parse(UnsafeRawPointer(copy), length: raw.count)
        }
        // Everything the decision depended on (the bytes after it are the sender's own payload).
        let rewrite = HarnessFrames.mac(9) + HarnessFrames.mac(1) + [0x81, 0x00, 0x00, 20, 0x81, 0x00]
        source.replaceSubrange(0..<header.l2Length, with: rewrite.prefix(header.l2Length))
        let edit = TagEdit(sourceTagged: header.isTagged, egressTagged: egressTagged, tci: tci)
        var out: [UInt8]
        if edit.changesFrame {
            let n = Engine.writePrefix(header, l2: UnsafeRawPointer(copy), edit: edit, to: prefix)
            out = Array(UnsafeRawBufferPointer(start: prefix, count: n))
        } else {
            out = Array(UnsafeRawBufferPointer(start: copy, count: header.l2Length))
        }
        out += source[header.l2Length...]
        return (header, out)
    }

    @Test func anUntaggedFrameLeavesAsParsedWhateverTheSenderWritesMeanwhile() {
        let (header, out) = deliverAfterRewrite(Self.untagged, egressTagged: false, tci: 0)
        #expect(!header.isTagged && header.destination == MACAddress(0x52, 0x54, 0, 0, 0, 2))
        #expect(out == Self.untagged)
    }

    @Test func aPushedTagGoesInFrontOfTheParsedEtherType() {
        let (_, out) = deliverAfterRewrite(Self.untagged, egressTagged: true, tci: 10)
        #expect(out == HarnessFrames.tag(Self.untagged, vlan: 10))
    }

    @Test func aPoppedOrRewrittenTagTakesTheParsedEtherTypeWithIt() {
        let (header, popped) = deliverAfterRewrite(Self.tagged, egressTagged: false, tci: 0)
        #expect(header.isTagged && header.vid == 10 && !header.hasTagStack)
        #expect(popped == HarnessFrames.untag(Self.tagged))
        let (_, rewritten) = deliverAfterRewrite(Self.tagged, egressTagged: true, tci: 3 << 13 | 10)
        #expect(rewritten == Self.tagged)
    }
}
