import GuestMemory

/// RX in one call on a packed ring: reserve, write and commit (see `SplitQueue+ReceiveFrame.swift`,
/// whose contract this keeps). The common case keeps no reservation state: one availability
/// check, one header store and copy through `ReceiveCopy.fillSingle`, one used descriptor. That
/// path is not taken while logging (`singleBuffer` is nil), so it passes no log; every other write
/// of a packed queue does (docs/dirty-log.md, "Packed rings").
extension PackedQueue {
    @inlinable @inline(__always)
    public func receiveFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                   from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                   mergeable: Bool) -> ReceiveReservation {
        receiveFrame(header: header, headerLength: headerLength, prefix: nil, prefixLength: 0, from: source,
                     skipping: skipping, mergeable: mergeable)
    }

    @inlinable @inline(__always)
    public func receiveFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                   prefix: UnsafeRawPointer?, prefixLength: Int,
                                                   from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                   mergeable: Bool) -> ReceiveReservation {
        let s = state
        if source.count == 1, skipping >= 0, let next = singleBuffer(),
           let total = ReceiveCopy.fillSingle(next.buffer, header: header, headerLength: headerLength, prefix: prefix,
                                              prefixLength: prefixLength,
                                              bytes: UnsafeRawPointer(source[0].base + skipping),
                                              count: source[0].length &- skipping) {
            s.pointee.cursor.clear()
            pushUsed(id: next.id, length: UInt32(truncatingIfNeeded: total), span: 1)
            advance(&s.pointee.lastAvail, &s.pointee.availWrap, by: 1)
            updateAvailEvent()
            return .reserved(chains: 1)
        }
        return receiveFrameInChains(header: header, headerLength: headerLength, prefix: prefix,
                                    prefixLength: prefixLength, from: source, skipping: skipping,
                                    mergeable: mergeable)
    }

    @inlinable @inline(never)
    func receiveFrameInChains<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                    prefix: UnsafeRawPointer?, prefixLength: Int,
                                                    from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                    mergeable: Bool) -> ReceiveReservation {
        // While dirty logging the fast path above is not taken (PackedQueueState.stopFlags); its
        // shortcut is taken here instead, with the writes logged (docs/dirty-log.md).
        if let log = dirtyLog, source.count == 1, skipping >= 0 {
            let s = state
            if !s.pointee.broken, isAvailable(slot: s.pointee.lastAvail, wrap: s.pointee.availWrap),
               let next = singleDescriptorBuffer(slot: s.pointee.lastAvail, deviceWrites: true,
                                                 maxBytes: UInt64(UInt32.max)),
               let total = ReceiveCopy.fillSingle(next.buffer, header: header, headerLength: headerLength, prefix: prefix,
                                                  prefixLength: prefixLength,
                                                  bytes: UnsafeRawPointer(source[0].base + skipping),
                                                  count: source[0].length &- skipping, log: log) {
                s.pointee.cursor.clear()
                pushUsed(id: next.id, length: UInt32(truncatingIfNeeded: total), span: 1)
                advance(&s.pointee.lastAvail, &s.pointee.availWrap, by: 1)
                updateAvailEvent()
                return .reserved(chains: 1)
            }
        }
        let skip = max(0, skipping)
        let prefixBytes = prefix == nil ? 0 : max(0, prefixLength)
        let bytes = headerLength &+ prefixBytes &+ max(0, source.byteCount &- skip)
        let outcome = reserveChains(bytes: bytes, mergeable: mergeable)
        guard case .reserved = outcome else { return outcome }
        _ = reservationWriter.writeThroughCursor(header: header, headerLength: headerLength, prefix: prefix, prefixLength: prefixBytes,
                               from: source, skipping: skip)
        commitReservation()
        return outcome
    }
}
