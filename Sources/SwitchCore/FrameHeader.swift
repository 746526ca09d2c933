/// What the switching core needs from a frame: the first 18 bytes, parsed once by the port that
/// pulled it, from a private copy the datapath then writes the frame's L2 header from
/// (docs/vlan-safety.md). A plain 24-byte value so a burst of them is one small array.
@frozen
public struct FrameHeader: Sendable, Equatable {
    /// 802.1Q tag protocol identifier (C-tag).
    public static let vlanTPID: UInt16 = 0x8100
    /// 802.1ad service tag (S-tag) protocol identifier.
    public static let serviceTPID: UInt16 = 0x88A8
    /// The pre-standard QinQ outer TPID some switches still send.
    public static let legacyQinQTPID: UInt16 = 0x9100
    public static let untaggedHeaderLength = 14
    public static let taggedHeaderLength = 18

    public var destination: MACAddress
    public var source: MACAddress
    /// Whole frame length in bytes (including any tag, excluding the virtio-net header).
    public var length: UInt32
    /// Tag control information (PCP:3, DEI:1, VID:12) when `isTagged`, else 0.
    public var tci: UInt16
    public var isTagged: Bool
    /// The frame carries a tag Switchyard's ports do not handle: an 802.1ad / QinQ outer tag
    /// (0x88A8, 0x9100), or a second tag (any of the three TPIDs) right behind the 802.1Q one.
    /// Every port takes at most one 802.1Q tag; `decide` drops these as `vlan-stack`, because a
    /// tag left inside is exposed wherever the outer one comes off (docs/vlan-safety.md).
    public var hasTagStack: Bool

    @inlinable
    public init(destination: MACAddress, source: MACAddress, length: UInt32, isTagged: Bool = false, tci: UInt16 = 0,
                hasTagStack: Bool = false) {
        self.destination = destination
        self.source = source
        self.length = length
        self.isTagged = isTagged
        self.tci = isTagged ? tci : 0
        self.hasTagStack = hasTagStack
    }

    @inlinable public var vid: UInt16 { tci & 0x0FFF }
    @inlinable public var pcp: UInt8 { UInt8(truncatingIfNeeded: tci >> 13) }

    /// The bytes every forwarding decision depends on: MACs, the tag if any, and the EtherType
    /// after it (14 or 18). The datapath writes exactly these from its private copy and copies
    /// only what follows from guest memory (docs/vlan-safety.md, "Time of check, time of use").
    @inlinable public var l2Length: Int {
        isTagged ? FrameHeader.taggedHeaderLength : FrameHeader.untaggedHeaderLength
    }

    /// True for the TPIDs that start a tag: 802.1Q, 802.1ad and the legacy QinQ one.
    @inlinable
    public static func isTagProtocol(_ etherType: UInt16) -> Bool {
        etherType == vlanTPID || etherType == serviceTPID || etherType == legacyQinQTPID
    }

    /// A frame too short for its own Ethernet header. `decide` drops it as `runt`.
    @inlinable
    public var isRunt: Bool {
        length < UInt32(isTagged ? FrameHeader.taggedHeaderLength : FrameHeader.untaggedHeaderLength)
    }

    /// Parses the Ethernet (and 802.1Q) header at `bytes`, of which `length` are readable: up to
    /// 18 bytes, the EtherType behind a tag included (that is all `hasTagStack` needs; the second
    /// tag's own TCI is never read, the frame is dropped whatever it says).
    /// Never reads past `length`: a short frame yields a header whose `isRunt` is true (with
    /// zeroed fields), which the core counts rather than trusting.
    @inlinable
    public static func parse(_ bytes: UnsafeRawPointer, length: Int) -> FrameHeader {
        let frameLength = UInt32(truncatingIfNeeded: Swift.max(0, Swift.min(length, Int(UInt32.max))))
        if length >= FrameHeader.taggedHeaderLength { return parse(complete: bytes, length: frameLength) }
        guard length >= FrameHeader.untaggedHeaderLength else {
            return FrameHeader(destination: .zero, source: .zero, length: frameLength)
        }
        let word0 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let word1 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
        let etherType = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        // 14...17 bytes: an untagged frame, or a tagged one cut short (isRunt reports it).
        return FrameHeader(destination: MACAddress(rawValue: word0 >> 16), source: MACAddress(rawValue: word1),
                           length: frameLength, isTagged: etherType == FrameHeader.vlanTPID, tci: 0,
                           hasTagStack: etherType == FrameHeader.serviceTPID || etherType == FrameHeader.legacyQinQTPID)
    }

    /// `parse` for a frame of at least 18 bytes whose first 18 are readable at `bytes`: no bounds
    /// checks, the datapath's common case (its private header copy always holds 18 bytes).
    @inlinable @inline(__always)
    public static func parse(complete bytes: UnsafeRawPointer, length: UInt32) -> FrameHeader {
        // Bytes 0..7 hold the destination and the first two source bytes; 4..11 end with the source.
        let word0 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let word1 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
        let etherType = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        let destination = MACAddress(rawValue: word0 >> 16)
        let source = MACAddress(rawValue: word1)
        guard etherType == FrameHeader.vlanTPID else {
            let stacked = etherType == FrameHeader.serviceTPID || etherType == FrameHeader.legacyQinQTPID
            return FrameHeader(destination: destination, source: source, length: length, hasTagStack: stacked)
        }
        let tci = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        let inner = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
        return FrameHeader(destination: destination, source: source, length: length, isTagged: true, tci: tci,
                           hasTagStack: FrameHeader.isTagProtocol(inner))
    }
}
