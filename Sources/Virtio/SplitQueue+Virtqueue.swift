import GuestMemory

/// `SplitQueue` as a `Virtqueue`. Most requirements are its own methods; the two that take frame
/// bytes are generic over `ByteSegment` so that a frame from the uplink's ring (not guest memory)
/// goes through the same seam. For guest segments they are the queue's own fast paths (the type
/// test folds away once specialized); other segments take the general reservation.
extension SplitQueue: Virtqueue {
    @inlinable @inline(__always)
    public func receiveFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                   prefix: UnsafeRawPointer?, prefixLength: Int,
                                                   from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                   mergeable: Bool) -> ReceiveReservation {
        if Segment.self == GuestSegment.self {
            return receiveFrame(header: header, headerLength: headerLength, prefix: prefix, prefixLength: prefixLength,
                                from: unsafeBitCast(source, to: UnsafeBufferPointer<GuestSegment>.self),
                                skipping: skipping, mergeable: mergeable)
        }
        return receiveFrameReserving(header: header, headerLength: headerLength, prefix: prefix,
                                     prefixLength: prefixLength, from: source, skipping: skipping,
                                     mergeable: mergeable)
    }

    @inlinable @inline(__always) @discardableResult
    public func writeReserved<Segment: ByteSegment>(from source: UnsafeBufferPointer<Segment>, skipping: Int) -> Int {
        if Segment.self == GuestSegment.self {
            return writeReserved(from: unsafeBitCast(source, to: UnsafeBufferPointer<GuestSegment>.self),
                                 skipping: skipping)
        }
        var skip = max(0, skipping)
        var written = 0
        for piece in source {
            let length = piece.length
            if skip >= length {
                skip &-= length
                continue
            }
            let want = length &- skip
            let n = writeReserved(bytes: UnsafeRawPointer(piece.base + skip), count: want)
            written &+= n
            skip = 0
            if n < want { break }
        }
        return written
    }

    /// `receiveFrame` for bytes outside guest memory, through the public reservation steps; same
    /// outcomes (nothing is written unless the whole frame fits).
    @inlinable
    func receiveFrameReserving<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                     prefix: UnsafeRawPointer?, prefixLength: Int,
                                                     from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                     mergeable: Bool) -> ReceiveReservation {
        let skip = max(0, skipping)
        let prefixBytes = prefix == nil ? 0 : max(0, prefixLength)
        let bytes = headerLength &+ prefixBytes &+ max(0, source.byteCount &- skip)
        let outcome = reserve(bytes: bytes, mergeable: mergeable)
        guard case .reserved = outcome else { return outcome }
        writeFrame(header: header, headerLength: headerLength,
                   frame: UnsafeRawBufferPointer(start: prefixBytes > 0 ? prefix : nil, count: prefixBytes))
        writeReserved(from: source, skipping: skip)
        commitReservation()
        return outcome
    }
}
