/// What the switching core needs from a frame: the first 18 bytes, parsed once by the port that
/// pulled it. A plain 24-byte value so a burst of them is one small array.
@frozen
public struct FrameHeader: Sendable, Equatable {
    /// 802.1Q tag protocol identifier.
    public static let vlanTPID: UInt16 = 0x8100
    public static let untaggedHeaderLength = 14
    public static let taggedHeaderLength = 18

    public var destination: MACAddress
    public var source: MACAddress
    /// Whole frame length in bytes (including any tag, excluding the virtio-net header).
    public var length: UInt32
    /// Tag control information (PCP:3, DEI:1, VID:12) when `isTagged`, else 0.
    public var tci: UInt16
    public var isTagged: Bool

    @inlinable
    public init(destination: MACAddress, source: MACAddress, length: UInt32, isTagged: Bool = false, tci: UInt16 = 0) {
        self.destination = destination
        self.source = source
        self.length = length
        self.isTagged = isTagged
        self.tci = isTagged ? tci : 0
    }

    @inlinable public var vid: UInt16 { tci & 0x0FFF }
    @inlinable public var pcp: UInt8 { UInt8(truncatingIfNeeded: tci >> 13) }

    /// A frame too short for its own Ethernet header. `decide` drops it as `runt`.
    @inlinable
    public var isRunt: Bool {
        length < UInt32(isTagged ? FrameHeader.taggedHeaderLength : FrameHeader.untaggedHeaderLength)
    }

    /// Parses the Ethernet (and 802.1Q) header at `bytes`, of which `length` are readable.
    /// Never reads past `length`: a short frame yields a header whose `isRunt` is true (with
    /// zeroed fields), which the core counts rather than trusting.
    @inlinable
    public static func parse(_ bytes: UnsafeRawPointer, length: Int) -> FrameHeader {
        let frameLength = UInt32(truncatingIfNeeded: Swift.max(0, Swift.min(length, Int(UInt32.max))))
        guard length >= FrameHeader.untaggedHeaderLength else {
            return FrameHeader(destination: .zero, source: .zero, length: frameLength)
        }
        // Bytes 0..7 hold the destination and the first two source bytes; 4..11 end with the source.
        let word0 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let word1 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
        let etherType = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        let destination = MACAddress(rawValue: word0 >> 16)
        let source = MACAddress(rawValue: word1)
        guard etherType == FrameHeader.vlanTPID else {
            return FrameHeader(destination: destination, source: source, length: frameLength)
        }
        guard length >= FrameHeader.taggedHeaderLength else {
            // Tagged but truncated: keep isTagged so isRunt reports it.
            return FrameHeader(destination: destination, source: source, length: frameLength, isTagged: true, tci: 0)
        }
        let tci = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        return FrameHeader(destination: destination, source: source, length: frameLength, isTagged: true, tci: tci)
    }
}
