import Testing
import SwitchCore

@Suite struct FrameHeaderTests {
    static let dst: [UInt8] = [0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC]
    static let src: [UInt8] = [0x52, 0x54, 0x00, 0x11, 0x22, 0x33]

    func parse(_ bytes: [UInt8], offset: Int = 0, length: Int? = nil) -> FrameHeader {
        // Copy at an odd offset so unaligned loads are exercised.
        var buffer = [UInt8](repeating: 0xEE, count: bytes.count + offset + 8)
        buffer.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        return buffer.withUnsafeBytes { raw in
            FrameHeader.parse(raw.baseAddress! + offset, length: length ?? bytes.count)
        }
    }

    @Test func parsesUntaggedHeaderAtUnalignedAddress() {
        let header = parse(Self.dst + Self.src + [0x08, 0x00] + [UInt8](repeating: 0, count: 46), offset: 3)
        #expect(header.destination == MACAddress(0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC))
        #expect(header.source == MACAddress(0x52, 0x54, 0x00, 0x11, 0x22, 0x33))
        #expect(!header.isTagged && header.tci == 0 && header.length == 60 && !header.isRunt)
    }

    @Test func parsesVLANTagWithPriority() {
        // PCP 5, DEI 0, VID 0x123
        let header = parse(Self.dst + Self.src + [0x81, 0x00, 0xA1, 0x23, 0x08, 0x00], offset: 1)
        #expect(header.isTagged && header.vid == 0x123 && header.pcp == 5)
        #expect(!header.isRunt && header.length == 18)
    }

    @Test(arguments: [[UInt8](arrayLiteral: 0x88, 0xA8), [0x91, 0x00]])
    func marksAQinQOuterTagAsATagStackNotAsUntagged(tpid: [UInt8]) {
        let header = parse(Self.dst + Self.src + tpid + [0x00, 0x10, 0x08, 0x00])
        #expect(!header.isTagged && header.hasTagStack && header.l2Length == 14)
    }

    @Test(arguments: [[UInt8](arrayLiteral: 0x81, 0x00), [0x88, 0xA8], [0x91, 0x00]])
    func marksATagBehindThe8021QTagAsATagStack(inner: [UInt8]) {
        // Priority tag (VID 0), then another tag: the double-tagging attack.
        let header = parse(Self.dst + Self.src + [0x81, 0x00, 0x00, 0x00] + inner + [0x00, 0x14, 0x08, 0x00], offset: 5)
        #expect(header.isTagged && header.vid == 0 && header.hasTagStack && !header.isRunt)
    }

    @Test func staysA24ByteValue() {
        // The tag-stack flag fits the padding: a burst of headers stays one small array.
        #expect(MemoryLayout<FrameHeader>.stride == 24)
    }

    @Test func aSingleTagOrNoneIsNoTagStack() {
        let tagged = parse(Self.dst + Self.src + [0x81, 0x00, 0xA0, 0x00, 0x86, 0xDD] + [UInt8](repeating: 0, count: 40))
        #expect(tagged.isTagged && tagged.pcp == 5 && tagged.vid == 0 && !tagged.hasTagStack && tagged.l2Length == 18)
        let untagged = parse(Self.dst + Self.src + [0x08, 0x06] + [UInt8](repeating: 0, count: 46))
        #expect(!untagged.isTagged && !untagged.hasTagStack && untagged.l2Length == 14)
    }

    @Test(arguments: [0, 1, 6, 13])
    func flagsFramesShorterThanEthernetHeaderAsRunt(length: Int) {
        let header = parse(Self.dst + Self.src + [0x08, 0x00], length: length)
        #expect(header.isRunt)
        #expect(header.length == UInt32(length))
    }

    @Test(arguments: [14, 15, 17])
    func flagsTruncatedTaggedFramesAsRunt(length: Int) {
        let header = parse(Self.dst + Self.src + [0x81, 0x00, 0x00, 0x0A, 0x08, 0x00], length: length)
        #expect(header.isTagged && header.isRunt)
    }

    @Test func negativeLengthIsARuntNotACrash() {
        let header = parse(Self.dst + Self.src, length: -5)
        #expect(header.isRunt && header.length == 0)
    }
}
