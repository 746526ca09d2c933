import GuestMemory

/// RX (device writes): one frame at a time, all-or-nothing over the avail ring.
extension SplitQueue {
    /// Reserves buffers for `bytes` (virtio-net header + frame). With MRG_RXBUF it takes as many
    /// chains as needed, each filled completely before the next; without, exactly one chain that
    /// holds everything. Nothing advances until `commitReservation()`; a new `reserve` or
    /// `popAvailable` silently cancels an open reservation.
    @inlinable @inline(__always)
    public func reserve(bytes: Int, mergeable: Bool) -> ReceiveReservation {
        let s = state
        let cursor = s.pointee.lastAvail
        // The common case, with or without MRG_RXBUF: the next buffer is one descriptor that holds
        // the whole frame, so the reservation is that one chain.
        if cursor != s.pointee.cachedAvail, !s.pointee.broken, bytes > 0 {
            let head = availRingEntry(cursor)
            if head < size,
               let buffer = singleDescriptorBuffer(head: head, deviceWrites: true, maxBytes: UInt64(UInt32.max)),
               buffer.length >= bytes {
                segmentStorage[0] = buffer
                chainStorage[0] = DescriptorChain(head: head, length: buffer.length, firstSegment: 0, segmentCount: 1)
                s.pointee.chainCount = 1
                s.pointee.reservationOpen = true
                s.pointee.reservationEnd = cursor &+ 1
                s.pointee.writeChain = 0
                s.pointee.writeSegment = 0
                s.pointee.writeOffset = 0
                return .reserved(chains: 1)
            }
        }
        return reserveChains(bytes: bytes, mergeable: mergeable)
    }

    /// The general reservation: refreshes avail.idx, walks multi-descriptor and indirect chains,
    /// takes several chains with MRG_RXBUF, and handles every malformed or missing buffer.
    @usableFromInline @inline(never)
    func reserveChains(bytes: Int, mergeable: Bool) -> ReceiveReservation {
        let s = state
        s.pointee.chainCount = 0
        s.pointee.reservationOpen = false
        guard !s.pointee.broken else { return .broken }
        guard bytes > 0 else { return .tooLarge }
        // The last walk from here found less room than this frame needs: unless the driver has
        // made buffers available since, walking the same chains again finds the same (a burst
        // of large frames to a full ring would otherwise walk it once per frame; docs/limits.md).
        // A capacity found without MRG_RXBUF is one chain's: it says nothing about merging several.
        if s.pointee.noRoomValid, s.pointee.noRoomCursor == s.pointee.lastAvail, bytes > s.pointee.noRoomCapacity,
           !mergeable || s.pointee.noRoomMergeable {
            guard refreshAvailIndex() else { return .broken }
            if s.pointee.cachedAvail == s.pointee.noRoomAvail { return .noRoom }
        }
        s.pointee.noRoomValid = false
        // A used element's len is 32 bits: no chain may claim more.
        let maxBytes = UInt64(UInt32.max)
        var cursor = s.pointee.lastAvail
        var remaining = bytes
        var capacity = 0
        var n = 0
        while remaining > 0 {
            if cursor == s.pointee.cachedAvail {
                guard refreshAvailIndex() else { return .broken }
                if cursor == s.pointee.cachedAvail { return rememberNoRoom(capacity: capacity, mergeable: mergeable) }
            }
            guard n < limits.maxChains else { return .tooLarge }
            let head = availRingEntry(cursor)
            guard head < size else {
                s.pointee.broken = true
                return .broken
            }
            var chain = walkChain(head: head, slot: n, deviceWrites: true, maxBytes: maxBytes)
            if let error = chain.error {
                returnMalformed(head: head, at: cursor, chainsBefore: n)
                return .malformed(error)
            }
            if !mergeable && chain.length < bytes { return rememberNoRoom(capacity: chain.length, mergeable: false) }
            chain._usedLength = 0
            chainStorage[n] = chain
            n &+= 1
            cursor &+= 1
            capacity &+= chain.length
            remaining &-= min(remaining, chain.length)
            if !mergeable { break }
        }
        s.pointee.chainCount = n
        s.pointee.reservationOpen = true
        s.pointee.reservationEnd = cursor
        s.pointee.writeChain = 0
        s.pointee.writeSegment = 0
        s.pointee.writeOffset = 0
        return .reserved(chains: n)
    }

    /// Records what the walk that just failed found, for the check at the top of `reserveChains`.
    @usableFromInline
    func rememberNoRoom(capacity: Int, mergeable: Bool) -> ReceiveReservation {
        let s = state
        s.pointee.noRoomValid = true
        s.pointee.noRoomMergeable = mergeable
        s.pointee.noRoomCursor = s.pointee.lastAvail
        s.pointee.noRoomAvail = s.pointee.cachedAvail
        s.pointee.noRoomCapacity = capacity
        return .noRoom
    }

    /// Writes the virtio-net header (num_buffers set to the reserved chain count when the header
    /// has the field) and then the frame: the bytes of `source` after its first `skipping` bytes
    /// (e.g. a TX chain's own header). Returns the bytes written in total.
    @inlinable @inline(__always) @discardableResult
    public func writeFrame(header: VirtioNetHeader, headerLength: Int,
                           from source: UnsafeBufferPointer<GuestSegment>, skipping: Int) -> Int {
        // The common case: a fresh one-chain, one-buffer reservation with room for the header and
        // a frame that is one piece: one header store and one copy, no cursor walking.
        let s = state
        if s.pointee.reservationOpen, s.pointee.chainCount == 1,
           s.pointee.writeChain | s.pointee.writeSegment | s.pointee.writeOffset == 0,
           headerLength == VirtioNetHeader.length || headerLength == VirtioNetHeader.legacyLength,
           source.count == 1, skipping >= 0 {
            let chain = chainStorage[0]
            let piece = source[0]
            let target = segmentStorage[chain.firstSegment]
            let frameBytes = piece.length &- skipping
            let total = headerLength &+ frameBytes
            if chain.segmentCount == 1, frameBytes > 0, total <= target.length {
                var h = header
                h.numBuffers = 1
                h.write(to: target.base, length: headerLength)
                (target.base + headerLength).copyMemory(from: piece.base + skipping, byteCount: frameBytes)
                chainStorage[0]._usedLength &+= UInt32(truncatingIfNeeded: total)
                // The cursor ends where the general path would leave it.
                if total == target.length {
                    s.pointee.writeSegment = 1
                } else {
                    s.pointee.writeOffset = total
                }
                return total
            }
        }
        return writeFrameGathering(header: header, headerLength: headerLength, from: source, skipping: skipping)
    }

    /// `writeFrame` through the write cursor: headers split across buffers, several buffers or
    /// chains, frames in several pieces.
    @usableFromInline @inline(never)
    func writeFrameGathering(header: VirtioNetHeader, headerLength: Int,
                             from source: UnsafeBufferPointer<GuestSegment>, skipping: Int) -> Int {
        var h = header
        h.numBuffers = UInt16(truncatingIfNeeded: state.pointee.chainCount)
        let written = writeHeader(h, length: headerLength)
        return written &+ writeReserved(from: source, skipping: skipping)
    }

    /// Writes the frame bytes at `frame` after the header (for frames from a non-guest source).
    @discardableResult
    public func writeFrame(header: VirtioNetHeader, headerLength: Int, frame: UnsafeRawBufferPointer) -> Int {
        var h = header
        h.numBuffers = UInt16(truncatingIfNeeded: state.pointee.chainCount)
        let written = writeHeader(h, length: headerLength)
        guard let base = frame.baseAddress else { return written }
        return written &+ writeReserved(bytes: base, count: frame.count)
    }

    /// Copies the bytes of `source` (after `skipping` bytes) into the reservation at its write
    /// cursor, filling each buffer completely before the next. The low-level form of `writeFrame`.
    @discardableResult
    public func writeReserved(from source: UnsafeBufferPointer<GuestSegment>, skipping: Int) -> Int {
        var skip = max(0, skipping)
        var written = 0
        for piece in source {
            if skip >= piece.length {
                skip &-= piece.length
                continue
            }
            let want = piece.length &- skip
            let n = writeReserved(bytes: UnsafeRawPointer(piece.base + skip), count: want)
            written &+= n
            skip = 0
            if n < want { break }
        }
        return written
    }

    /// Copies `count` bytes into the reservation at its write cursor; returns how many fitted.
    /// The bytes each chain received are recorded as its `usedLength`.
    @discardableResult
    public func writeReserved(bytes: UnsafeRawPointer, count: Int) -> Int {
        let s = state
        guard s.pointee.reservationOpen else { return 0 }
        var copied = 0
        while copied < count && s.pointee.writeChain < s.pointee.chainCount {
            let chain = chainStorage + s.pointee.writeChain
            if s.pointee.writeSegment >= chain.pointee.segmentCount {
                s.pointee.writeChain &+= 1
                s.pointee.writeSegment = 0
                s.pointee.writeOffset = 0
                continue
            }
            let piece = segmentStorage[chain.pointee.firstSegment &+ s.pointee.writeSegment]
            let n = min(piece.length &- s.pointee.writeOffset, count &- copied)
            (piece.base + s.pointee.writeOffset).copyMemory(from: bytes + copied, byteCount: n)
            copied &+= n
            chain.pointee._usedLength &+= UInt32(truncatingIfNeeded: n)
            s.pointee.writeOffset &+= n
            if s.pointee.writeOffset == piece.length {
                s.pointee.writeSegment &+= 1
                s.pointee.writeOffset = 0
            }
        }
        return copied
    }

    /// Marks the reserved chains used ({head, bytes written}) and consumes them from the avail
    /// ring. The guest sees them at the next `publishUsed()`. Returns the number of chains.
    @inlinable @inline(__always) @discardableResult
    public func commitReservation() -> Int {
        let s = state
        guard s.pointee.reservationOpen else { return 0 }
        let n = s.pointee.chainCount
        for i in 0..<n {
            pushUsed(head: chainStorage[i].head, length: chainStorage[i].usedLength)
        }
        s.pointee.lastAvail = s.pointee.reservationEnd
        s.pointee.reservationOpen = false
        updateAvailEvent()
        return n
    }

    /// Drops an open reservation: nothing consumed, nothing written to the used ring.
    public func cancelReservation() {
        state.pointee.reservationOpen = false
        state.pointee.chainCount = 0
    }

    /// Header fast path: written in place when the first buffer has room; otherwise byte-wise
    /// through the cursor (a driver may split a header across descriptors).
    @usableFromInline
    func writeHeader(_ header: VirtioNetHeader, length: Int) -> Int {
        let s = state
        guard s.pointee.reservationOpen, s.pointee.chainCount > 0,
              length == VirtioNetHeader.legacyLength || length == VirtioNetHeader.length else { return 0 }
        let first = chainStorage[0]
        if s.pointee.writeChain == 0, s.pointee.writeSegment == 0, s.pointee.writeOffset == 0,
           first.segmentCount > 0, segmentStorage[first.firstSegment].length >= length {
            header.write(to: segmentStorage[first.firstSegment].base, length: length)
            if segmentStorage[first.firstSegment].length == length {
                s.pointee.writeSegment = 1
            } else {
                s.pointee.writeOffset = length
            }
            chainStorage[0]._usedLength &+= UInt32(length)
            return length
        }
        var word = UInt64(header.flags) | UInt64(header.gsoType) << 8 | UInt64(header.headerLength) << 16
            | UInt64(header.gsoSize) << 32 | UInt64(header.checksumStart) << 48
        var tail = UInt32(header.checksumOffset) | UInt32(header.numBuffers) << 16
        var written = 0
        for i in 0..<length {
            var byte: UInt8
            if i < 8 {
                byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
            } else {
                byte = UInt8(truncatingIfNeeded: tail)
                tail >>= 8
            }
            let n = writeReserved(bytes: &byte, count: 1)
            written &+= n
            if n == 0 { break }
        }
        return written
    }

    /// Gives back the chains taken for a frame when one of them is malformed: the ring must keep
    /// moving, and the valid ones before it cannot be returned out of order.
    func returnMalformed(head: UInt16, at cursor: UInt16, chainsBefore: Int) {
        for i in 0..<chainsBefore {
            pushUsed(head: chainStorage[i].head, length: 0)
        }
        pushUsed(head: head, length: 0)
        state.pointee.lastAvail = cursor &+ 1
        state.pointee.chainCount = 0
        updateAvailEvent()
    }
}
