/// struct virtio_net_hdr (10 bytes) / virtio_net_hdr_mrg_rxbuf (12 bytes), little-endian in guest
/// memory. Read and written field by field with unaligned accesses: the header sits wherever the
/// driver put the buffer.
@frozen
public struct VirtioNetHeader: Equatable, Sendable {
    public static let legacyLength = 10
    public static let length = 12

    public static let flagNeedsChecksum: UInt8 = 1
    public static let flagDataValid: UInt8 = 2
    public static let flagRSCInfo: UInt8 = 4

    public static let gsoNone: UInt8 = 0
    public static let gsoTCPv4: UInt8 = 1
    public static let gsoUDP: UInt8 = 3
    public static let gsoTCPv6: UInt8 = 4
    public static let gsoUDPL4: UInt8 = 5
    public static let gsoECN: UInt8 = 0x80

    public var flags: UInt8
    public var gsoType: UInt8
    public var headerLength: UInt16
    public var gsoSize: UInt16
    public var checksumStart: UInt16
    public var checksumOffset: UInt16
    /// Only on the wire when the header is 12 bytes; 0 on TX, the chain count on RX.
    public var numBuffers: UInt16

    @inlinable
    public init(flags: UInt8 = 0, gsoType: UInt8 = 0, headerLength: UInt16 = 0, gsoSize: UInt16 = 0,
                checksumStart: UInt16 = 0, checksumOffset: UInt16 = 0, numBuffers: UInt16 = 0) {
        self.flags = flags
        self.gsoType = gsoType
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
        self.numBuffers = numBuffers
    }

    /// Reads a header of `length` bytes (10 or 12) at `p`; with 10 bytes numBuffers is 0.
    @inlinable
    public init(readingFrom p: UnsafeRawPointer, length: Int) {
        // Two loads (bytes 0-7 and 8-9), split into fields.
        let low = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        flags = UInt8(truncatingIfNeeded: low)
        gsoType = UInt8(truncatingIfNeeded: low >> 8)
        headerLength = UInt16(truncatingIfNeeded: low >> 16)
        gsoSize = UInt16(truncatingIfNeeded: low >> 32)
        checksumStart = UInt16(truncatingIfNeeded: low >> 48)
        checksumOffset = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        numBuffers = length >= Self.length
            ? UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 10, as: UInt16.self)) : 0
    }

    /// Writes the first `length` bytes (10 or 12) of the header at `p`: two unaligned stores
    /// (bytes 0-7, then 8-9 or 8-11), which fold to constants for a constant header.
    @inlinable @inline(__always)
    public func write(to p: UnsafeMutableRawPointer, length: Int) {
        let low = UInt64(flags) | UInt64(gsoType) << 8 | UInt64(headerLength) << 16
            | UInt64(gsoSize) << 32 | UInt64(checksumStart) << 48
        p.storeBytes(of: low.littleEndian, as: UInt64.self)
        if length >= Self.length {
            let high = UInt32(checksumOffset) | UInt32(numBuffers) << 16
            p.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt32.self)
        } else {
            p.storeBytes(of: checksumOffset.littleEndian, toByteOffset: 8, as: UInt16.self)
        }
    }
}
