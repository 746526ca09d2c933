import GuestMemory

/// RX (device writes) on a packed ring: one frame at a time, all-or-nothing, buffers taken from
/// the ring in order (as `SplitQueue+Receive.swift` does over the avail ring).
extension PackedQueue {
    /// Reserves buffers for `bytes` (header + frame): with MRG_RXBUF as many chains as needed,
    /// without exactly one that holds everything. Nothing moves until `commitReservation()`.
    @inlinable @inline(__always)
    public func reserve(bytes: Int, mergeable: Bool) -> ReceiveReservation {
        let s = state
        if bytes > 0, let next = singleBuffer(), next.buffer.length >= bytes {
            segmentStorage[0] = next.buffer
            chainStorage[0] = DescriptorChain(head: next.id, length: next.buffer.length, firstSegment: 0, segmentCount: 1)
            ringSpans[0] = 1
            s.pointee.cursor.open(chains: 1)
            var end = s.pointee.lastAvail
            var wrap = s.pointee.availWrap
            advance(&end, &wrap, by: 1)
            s.pointee.reservationEnd = end
            s.pointee.reservationEndWrap = wrap
            return .reserved(chains: 1)
        }
        return reserveChains(bytes: bytes, mergeable: mergeable)
    }

    /// The next buffer when it is the common one: available, one writable descriptor in the
    /// region this queue last hit. Nil while broken or logging (`PackedQueueState.stopFlags`).
    @inlinable @inline(__always)
    func singleBuffer() -> (id: UInt16, buffer: GuestSegment)? {
        let s = state
        guard s.pointee.stopFlags == 0, isAvailable(slot: s.pointee.lastAvail, wrap: s.pointee.availWrap) else {
            return nil
        }
        return singleDescriptorBuffer(slot: s.pointee.lastAvail, deviceWrites: true, maxBytes: UInt64(UInt32.max))
    }

    /// The general reservation: chains of several descriptors, indirect tables, several chains
    /// with MRG_RXBUF, and every malformed or missing buffer.
    @usableFromInline @inline(never)
    func reserveChains(bytes: Int, mergeable: Bool) -> ReceiveReservation {
        let s = state
        s.pointee.cursor.clear()
        guard !s.pointee.broken else { return .broken }
        guard bytes > 0 else { return .tooLarge }
        // The last walk from here ran out of buffers at `noRoomEnd`: until the driver makes that
        // slot available, walking again finds the same (docs/limits.md).
        if s.pointee.noRoomValid, s.pointee.noRoomCursor == s.pointee.lastAvail, bytes > s.pointee.noRoomCapacity,
           !mergeable || s.pointee.noRoomMergeable,
           !isAvailable(slot: s.pointee.noRoomEnd, wrap: s.pointee.noRoomEndWrap) {
            return .noRoom
        }
        s.pointee.noRoomValid = false
        let maxBytes = UInt64(UInt32.max)
        var cursor = s.pointee.lastAvail
        var wrap = s.pointee.availWrap
        var remaining = bytes
        var capacity = 0
        var n = 0
        while remaining > 0 {
            guard isAvailable(slot: cursor, wrap: wrap) else {
                return rememberNoRoom(capacity: capacity, mergeable: mergeable, end: cursor, endWrap: wrap)
            }
            guard n < limits.maxChains else { return .tooLarge }
            guard var chain = walkChain(slot: cursor, chainSlot: n, deviceWrites: true, maxBytes: maxBytes) else {
                return .broken
            }
            if let error = chain.error {
                returnMalformed(chain: chain, chainsBefore: n)
                return .malformed(error)
            }
            if !mergeable && chain.length < bytes {
                return rememberNoRoom(capacity: chain.length, mergeable: false, end: cursor, endWrap: wrap)
            }
            chain._usedLength = 0
            chainStorage[n] = chain
            advance(&cursor, &wrap, by: ringSpans[n])
            n &+= 1
            capacity &+= chain.length
            remaining &-= min(remaining, chain.length)
            if !mergeable { break }
        }
        s.pointee.cursor.open(chains: n)
        s.pointee.reservationEnd = cursor
        s.pointee.reservationEndWrap = wrap
        return .reserved(chains: n)
    }

    /// Remembers a walk that ran out of available buffers at `end`, for the check at the top of
    /// `reserveChains`. A too-small chain that is itself available (no MRG_RXBUF) is not
    /// remembered: one chain is a cheap walk.
    @usableFromInline
    func rememberNoRoom(capacity: Int, mergeable: Bool, end: UInt16, endWrap: Bool) -> ReceiveReservation {
        let s = state
        // A too-small buffer that is itself available proves nothing about later refills.
        guard !isAvailable(slot: end, wrap: endWrap) else { return .noRoom }
        s.pointee.noRoomValid = true
        s.pointee.noRoomMergeable = mergeable
        s.pointee.noRoomCursor = s.pointee.lastAvail
        s.pointee.noRoomEnd = end
        s.pointee.noRoomEndWrap = endWrap
        s.pointee.noRoomCapacity = capacity
        return .noRoom
    }

    /// Writes a used descriptor per reserved chain ({id, bytes written}) and moves past them.
    @inlinable @inline(__always) @discardableResult
    public func commitReservation() -> Int {
        let s = state
        guard s.pointee.cursor.reservationOpen else { return 0 }
        let n = s.pointee.cursor.chainCount
        for i in 0..<n {
            pushUsed(id: chainStorage[i].head, length: chainStorage[i].usedLength, span: ringSpans[i])
        }
        s.pointee.lastAvail = s.pointee.reservationEnd
        s.pointee.availWrap = s.pointee.reservationEndWrap
        s.pointee.cursor.reservationOpen = false
        updateAvailEvent()
        return n
    }

    public func cancelReservation() {
        state.pointee.cursor.clear()
    }

    /// Gives back the chains taken for a frame when one of them is malformed, in ring order (the
    /// used index must follow the ring), the bad one with length 0 too.
    func returnMalformed(chain: DescriptorChain, chainsBefore: Int) {
        let s = state
        for i in 0..<chainsBefore {
            pushUsed(id: chainStorage[i].head, length: 0, span: ringSpans[i])
            advance(&s.pointee.lastAvail, &s.pointee.availWrap, by: ringSpans[i])
        }
        pushUsed(id: chain.head, length: 0, span: ringSpans[chainsBefore])
        advance(&s.pointee.lastAvail, &s.pointee.availWrap, by: ringSpans[chainsBefore])
        s.pointee.cursor.chainCount = 0
        updateAvailEvent()
    }
}
