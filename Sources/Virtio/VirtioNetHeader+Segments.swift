import GuestMemory

extension VirtioNetHeader {
    /// Reads the header from the start of a chain's byte stream. With VERSION_1 / ANY_LAYOUT the
    /// driver may split it across descriptors, so the slow path assembles it byte by byte (no
    /// scratch memory). Nil if the chain is shorter than the header.
    @inlinable @inline(__always)
    public init?(gatheringFrom segments: UnsafeBufferPointer<GuestSegment>, length: Int) {
        guard length == Self.legacyLength || length == Self.length else { return nil }
        if segments.count > 0, segments[0].length >= length {
            self.init(readingFrom: segments[0].base, length: length)
            return
        }
        guard let gathered = Self.gathered(from: segments, length: length) else { return nil }
        self = gathered
    }

    /// The split-header case, out of line so the common case stays small where it is inlined.
    @usableFromInline @inline(never)
    static func gathered(from segments: UnsafeBufferPointer<GuestSegment>, length: Int) -> VirtioNetHeader? {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var i = 0
        for segment in segments {
            var j = 0
            while j < segment.length && i < length {
                let byte = UInt64(segment.base.load(fromByteOffset: j, as: UInt8.self))
                if i < 8 { low |= byte << UInt64(8 * i) } else { high |= byte << UInt64(8 * (i - 8)) }
                i &+= 1
                j &+= 1
            }
            if i == length { break }
        }
        guard i == length else { return nil }
        return VirtioNetHeader(flags: UInt8(truncatingIfNeeded: low), gsoType: UInt8(truncatingIfNeeded: low >> 8),
                               headerLength: UInt16(truncatingIfNeeded: low >> 16),
                               gsoSize: UInt16(truncatingIfNeeded: low >> 32),
                               checksumStart: UInt16(truncatingIfNeeded: low >> 48),
                               checksumOffset: UInt16(truncatingIfNeeded: high),
                               numBuffers: length == Self.length ? UInt16(truncatingIfNeeded: high >> 16) : 0)
    }
}
