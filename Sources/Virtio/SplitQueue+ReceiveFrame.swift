import GuestMemory

/// RX in one call: reserve, write and commit a frame that needs no re-tagging.
extension SplitQueue {
    /// Delivers `headerLength` bytes of `header` followed by the bytes of `source` after its first
    /// `skipping` bytes, as `reserve(bytes:mergeable:)` + `writeFrame(header:headerLength:from:skipping:)`
    /// + `commitReservation()` would, and returns what `reserve` would have (`.reserved(chains: n)`
    /// now means written and committed in n chains; nothing is written otherwise). Cancels an open
    /// reservation. The common case (the frame in one piece, the next buffer one descriptor that
    /// holds it all, in the region this queue last hit) keeps no reservation state at all: one
    /// header store, one copy, one used element.
    @inlinable @inline(__always)
    public func receiveFrame(header: VirtioNetHeader, headerLength: Int,
                             from source: UnsafeBufferPointer<GuestSegment>, skipping: Int,
                             mergeable: Bool) -> ReceiveReservation {
        let s = state
        let cursor = s.pointee.lastAvail
        if source.count == 1, skipping >= 0, cursor != s.pointee.cachedAvail, !s.pointee.broken,
           headerLength == VirtioNetHeader.length || headerLength == VirtioNetHeader.legacyLength {
            let piece = source[0]
            let frameBytes = piece.length &- skipping
            let total = headerLength &+ frameBytes
            let head = availRingEntry(cursor)
            if frameBytes > 0, head < size,
               let buffer = singleDescriptorBuffer(head: head, deviceWrites: true, maxBytes: UInt64(UInt32.max)),
               buffer.length >= total {
                s.pointee.reservationOpen = false
                s.pointee.chainCount = 0
                let target = buffer.base
                var h = header
                h.numBuffers = 1
                h.write(to: target, length: headerLength)
                (target + headerLength).copyMemory(from: piece.base + skipping, byteCount: frameBytes)
                pushUsed(head: head, length: UInt32(truncatingIfNeeded: total))
                s.pointee.lastAvail = cursor &+ 1
                updateAvailEvent()
                return .reserved(chains: 1)
            }
        }
        return receiveFrameInChains(header: header, headerLength: headerLength, from: source,
                                    skipping: skipping, mergeable: mergeable)
    }

    /// `receiveFrame` through the general reservation: frames in several pieces, buffers of
    /// several descriptors or chains, and every refusal.
    @usableFromInline @inline(never)
    func receiveFrameInChains(header: VirtioNetHeader, headerLength: Int,
                              from source: UnsafeBufferPointer<GuestSegment>, skipping: Int,
                              mergeable: Bool) -> ReceiveReservation {
        let skip = max(0, skipping)
        var bytes = 0
        for piece in source { bytes &+= piece.length }
        bytes = headerLength &+ max(0, bytes &- skip)
        let outcome = reserveChains(bytes: bytes, mergeable: mergeable)
        guard case .reserved = outcome else { return outcome }
        _ = writeFrameGathering(header: header, headerLength: headerLength, from: source, skipping: skip)
        commitReservation()
        return outcome
    }
}
