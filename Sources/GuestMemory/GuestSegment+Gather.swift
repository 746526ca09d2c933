extension GuestSegment {
    /// Copies up to `count` bytes of the byte stream formed by `segments`, starting `offset` bytes
    /// into it, to `destination`; returns the bytes copied (less than `count` if the stream ends).
    /// Used to read a header that the driver split across descriptors (ANY_LAYOUT / VERSION_1).
    @inlinable
    public static func gather(_ segments: UnsafeBufferPointer<GuestSegment>, offset: Int, count: Int,
                              into destination: UnsafeMutableRawPointer) -> Int {
        guard offset >= 0, count > 0 else { return 0 }
        var skip = offset
        var copied = 0
        for segment in segments {
            if skip >= segment.length {
                skip &-= segment.length
                continue
            }
            let n = min(segment.length &- skip, count &- copied)
            (destination + copied).copyMemory(from: segment.base + skip, byteCount: n)
            copied &+= n
            skip = 0
            if copied == count { break }
        }
        return copied
    }
}
