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
    public func receiveFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                   from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                   mergeable: Bool) -> ReceiveReservation {
        receiveFrame(header: header, headerLength: headerLength, prefix: nil, prefixLength: 0, from: source,
                     skipping: skipping, mergeable: mergeable)
    }

    /// `receiveFrame` with `prefixLength` bytes at `prefix` written between the virtio-net header
    /// and the bytes of `source`. The datapath passes its private copy of the frame's L2 header
    /// here and skips those bytes in `source`: a sender's vCPU may rewrite its buffer while the
    /// switch works, and the header the switch decided on must be the one that leaves
    /// (docs/vlan-safety.md, "Time of check, time of use"). `prefix` must not lie in `source`.
    @inlinable @inline(__always)
    public func receiveFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                   prefix: UnsafeRawPointer?, prefixLength: Int,
                                                   from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                   mergeable: Bool) -> ReceiveReservation {
        let s = state
        let cursor = s.pointee.lastAvail
        if source.count == 1, skipping >= 0, let next = singleBuffer(at: cursor),
           let total = ReceiveCopy.fillSingle(next.buffer, header: header, headerLength: headerLength, prefix: prefix,
                                              prefixLength: prefixLength,
                                              bytes: UnsafeRawPointer(source[0].base + skipping),
                                              count: source[0].length &- skipping) {
            s.pointee.cursor.clear()
            pushUsed(head: next.head, length: UInt32(truncatingIfNeeded: total))
            s.pointee.lastAvail = cursor &+ 1
            updateAvailEvent()
            return .reserved(chains: 1)
        }
        return receiveFrameInChains(header: header, headerLength: headerLength, prefix: prefix,
                                    prefixLength: prefixLength, from: source, skipping: skipping,
                                    mergeable: mergeable)
    }

    /// `receiveFrame` through the general reservation: frames in several pieces, buffers of
    /// several descriptors or chains, and every refusal. Inlinable so that it is specialized for
    /// the caller's segment type; never inlined (the rare path stays out of the hot loop).
    @inlinable @inline(never)
    func receiveFrameInChains<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                    prefix: UnsafeRawPointer?, prefixLength: Int,
                                                    from source: UnsafeBufferPointer<Segment>, skipping: Int,
                                                    mergeable: Bool) -> ReceiveReservation {
        // While dirty logging the fast path above is not taken (SplitQueueState.stopFlags); its
        // shortcut is taken here instead, with the writes logged (docs/dirty-log.md).
        if let log = dirtyLog, source.count == 1, skipping >= 0 {
            let s = state
            let cursor = s.pointee.lastAvail
            if let next = singleBufferWhileLogging(at: cursor),
               let total = ReceiveCopy.fillSingle(next.buffer, header: header, headerLength: headerLength, prefix: prefix,
                                                  prefixLength: prefixLength,
                                                  bytes: UnsafeRawPointer(source[0].base + skipping),
                                                  count: source[0].length &- skipping, log: log) {
                s.pointee.cursor.clear()
                pushUsed(head: next.head, length: UInt32(truncatingIfNeeded: total))
                s.pointee.lastAvail = cursor &+ 1
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
