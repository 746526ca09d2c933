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
        if bytes > 0, let next = singleBuffer(at: cursor), next.buffer.length >= bytes {
            segmentStorage[0] = next.buffer
            chainStorage[0] = DescriptorChain(head: next.head, length: next.buffer.length, firstSegment: 0, segmentCount: 1)
            s.pointee.cursor.open(chains: 1)
            s.pointee.reservationEnd = cursor &+ 1
            return .reserved(chains: 1)
        }
        return reserveChains(bytes: bytes, mergeable: mergeable)
    }

    /// The next buffer, at avail slot `cursor` (lastAvail), when it is the common one: a single
    /// device-writable descriptor in the region this queue last hit (`singleDescriptorBuffer`),
    /// with no refresh of avail.idx. `reserve` and `receiveFrame` take it without the general
    /// walk; nil sends them to `reserveChains`, which decides everything else.
    @inlinable @inline(__always)
    func singleBuffer(at cursor: UInt16) -> (head: UInt16, buffer: GuestSegment)? {
        let s = state
        // Not while broken, nor while dirty logging (stopFlags, SplitQueueState): the general path
        // logs what it writes.
        guard cursor != s.pointee.cachedAvail, s.pointee.stopFlags == 0 else { return nil }
        let head = availRingEntry(cursor)
        guard head < size,
              let buffer = singleDescriptorBuffer(head: head, deviceWrites: true, maxBytes: UInt64(UInt32.max))
        else { return nil }
        return (head, buffer)
    }

    /// `singleBuffer(at:)` for a queue that is dirty logging: the same buffer, unless the queue is
    /// broken. Its caller logs what it writes.
    @usableFromInline
    func singleBufferWhileLogging(at cursor: UInt16) -> (head: UInt16, buffer: GuestSegment)? {
        let s = state
        guard cursor != s.pointee.cachedAvail, !s.pointee.broken else { return nil }
        let head = availRingEntry(cursor)
        guard head < size,
              let buffer = singleDescriptorBuffer(head: head, deviceWrites: true, maxBytes: UInt64(UInt32.max))
        else { return nil }
        return (head, buffer)
    }

    /// The general reservation: refreshes avail.idx, walks multi-descriptor and indirect chains,
    /// takes several chains with MRG_RXBUF, and handles every malformed or missing buffer.
    @usableFromInline @inline(never)
    func reserveChains(bytes: Int, mergeable: Bool) -> ReceiveReservation {
        let s = state
        s.pointee.cursor.clear()
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
        s.pointee.cursor.open(chains: n)
        s.pointee.reservationEnd = cursor
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

    /// Marks the reserved chains used ({head, bytes written}) and consumes them from the avail
    /// ring. The guest sees them at the next `publishUsed()`. Returns the number of chains.
    @inlinable @inline(__always) @discardableResult
    public func commitReservation() -> Int {
        let s = state
        guard s.pointee.cursor.reservationOpen else { return 0 }
        let n = s.pointee.cursor.chainCount
        for i in 0..<n {
            pushUsed(head: chainStorage[i].head, length: chainStorage[i].usedLength)
        }
        s.pointee.lastAvail = s.pointee.reservationEnd
        s.pointee.cursor.reservationOpen = false
        updateAvailEvent()
        return n
    }

    /// Drops an open reservation: nothing consumed, nothing written to the used ring.
    public func cancelReservation() {
        state.pointee.cursor.clear()
    }

    /// Gives back the chains taken for a frame when one of them is malformed: the ring must keep
    /// moving, and the valid ones before it cannot be returned out of order.
    func returnMalformed(head: UInt16, at cursor: UInt16, chainsBefore: Int) {
        for i in 0..<chainsBefore {
            pushUsed(head: chainStorage[i].head, length: 0)
        }
        pushUsed(head: head, length: 0)
        state.pointee.lastAvail = cursor &+ 1
        state.pointee.cursor.chainCount = 0
        updateAvailEvent()
    }
}
