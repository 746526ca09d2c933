/// struct virtio_net_hdr (10 bytes) / virtio_net_hdr_mrg_rxbuf (12 bytes), little-endian in guest
/// memory. Read and written with unaligned accesses: the header sits wherever the driver put the
/// buffer.
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

    /// The wire form as two little-endian words, bytes 0-7 and 8-11: reading, writing and copying
    /// a header (the data path does all three per frame) is two moves instead of seven.
    @usableFromInline var low: UInt64
    @usableFromInline var high: UInt32

    @inlinable public var flags: UInt8 {
        get { UInt8(truncatingIfNeeded: low) }
        set { low = low & ~0xFF | UInt64(newValue) }
    }
    @inlinable public var gsoType: UInt8 {
        get { UInt8(truncatingIfNeeded: low >> 8) }
        set { low = low & ~(0xFF << 8) | UInt64(newValue) << 8 }
    }
    @inlinable public var headerLength: UInt16 {
        get { UInt16(truncatingIfNeeded: low >> 16) }
        set { low = low & ~(0xFFFF << 16) | UInt64(newValue) << 16 }
    }
    @inlinable public var gsoSize: UInt16 {
        get { UInt16(truncatingIfNeeded: low >> 32) }
        set { low = low & ~(0xFFFF << 32) | UInt64(newValue) << 32 }
    }
    @inlinable public var checksumStart: UInt16 {
        get { UInt16(truncatingIfNeeded: low >> 48) }
        set { low = low & ~(0xFFFF << 48) | UInt64(newValue) << 48 }
    }
    @inlinable public var checksumOffset: UInt16 {
        get { UInt16(truncatingIfNeeded: high) }
        set { high = high & ~0xFFFF | UInt32(newValue) }
    }
    /// Only on the wire when the header is 12 bytes; 0 on TX, the chain count on RX.
    @inlinable public var numBuffers: UInt16 {
        get { UInt16(truncatingIfNeeded: high >> 16) }
        set { high = high & 0xFFFF | UInt32(newValue) << 16 }
    }

    @inlinable
    public init(flags: UInt8 = 0, gsoType: UInt8 = 0, headerLength: UInt16 = 0, gsoSize: UInt16 = 0,
                checksumStart: UInt16 = 0, checksumOffset: UInt16 = 0, numBuffers: UInt16 = 0) {
        low = UInt64(flags) | UInt64(gsoType) << 8 | UInt64(headerLength) << 16 | UInt64(gsoSize) << 32
            | UInt64(checksumStart) << 48
        high = UInt32(checksumOffset) | UInt32(numBuffers) << 16
    }

    /// Reads a header of `length` bytes (10 or 12) at `p`; with 10 bytes numBuffers is 0.
    @inlinable
    public init(readingFrom p: UnsafeRawPointer, length: Int) {
        low = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        high = length >= Self.length
            ? UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            : UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
    }

    /// Writes the first `length` bytes (10 or 12) of the header at `p`: two unaligned stores.
    @inlinable @inline(__always)
    public func write(to p: UnsafeMutableRawPointer, length: Int) {
        p.storeBytes(of: low.littleEndian, as: UInt64.self)
        if length >= Self.length {
            p.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt32.self)
        } else {
            p.storeBytes(of: UInt16(truncatingIfNeeded: high).littleEndian, toByteOffset: 8, as: UInt16.self)
        }
    }
}

extension VirtioNetHeader: CustomStringConvertible {
    public var description: String {
        "VirtioNetHeader(flags: \(flags), gsoType: \(gsoType), headerLength: \(headerLength), gsoSize: \(gsoSize), "
            + "checksumStart: \(checksumStart), checksumOffset: \(checksumOffset), numBuffers: \(numBuffers))"
    }
}
