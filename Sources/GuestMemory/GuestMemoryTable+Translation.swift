/// Translation of guest addresses. Every guest-supplied address and length is hostile: all
/// arithmetic is overflow-checked and a result is only produced when every byte is mapped.
extension GuestMemoryTable {
    /// Our pointer to `[gpa, gpa + length)`, or nil unless that range lies entirely inside one region.
    /// Uses the table's shared last-hit cache (single data-plane thread); see `hint:` variants.
    @inlinable
    public func pointer(guestPhysical gpa: UInt64, length: Int) -> UnsafeMutableRawPointer? {
        lookup(gpa, length: length, userspace: false, hint: &state.pointee.lastHit)
    }

    @inlinable
    public func pointer(guestPhysical gpa: UInt64, length: Int, hint: inout Int) -> UnsafeMutableRawPointer? {
        lookup(gpa, length: length, userspace: false, hint: &hint)
    }

    /// The per-descriptor fast path: our pointer to `[gpa, gpa + length)` if it lies entirely
    /// inside the region `hint` names (a queue's last hit), else nil, and then the caller takes the
    /// general path (`appendSegments`), which scans every region and moves the hint. No scan here,
    /// so this stays a handful of instructions inlined into the ring walk.
    @inlinable @inline(__always)
    public func pointer(guestPhysical gpa: UInt64, length: UInt64, inHintedRegion hint: Int) -> UnsafeMutableRawPointer? {
        guard UInt(bitPattern: hint) < UInt(bitPattern: state.pointee.count) else { return nil }
        let slot = slots[hint]
        // Wrapping: an address below the base gives a huge offset. offset < size, so size - offset
        // cannot wrap, and validated sizes fit in Int.
        let offset = gpa &- slot.guestPhysicalAddress
        guard offset < slot.size, length <= slot.size &- offset else { return nil }
        return slot.host + Int(truncatingIfNeeded: offset)
    }

    /// Our pointer to front-end virtual addresses `[uva, uva + length)` (ring addresses from
    /// SET_VRING_ADDR), or nil unless the range lies entirely inside one region: rings are used as
    /// one contiguous block, like QEMU and DPDK do.
    @inlinable
    public func pointer(userspace uva: UInt64, length: Int) -> UnsafeMutableRawPointer? {
        lookup(uva, length: length, userspace: true, hint: &state.pointee.lastHit)
    }

    /// Translates a guest buffer that may cross from one region into the next (guest RAM is often
    /// split, e.g. below/above 4 GiB, and neighbours in GPA are not neighbours in our mapping).
    /// Writes up to `buffer.count` segments and returns how many; nil if any byte is unmapped, the
    /// range wraps 2^64, or it needs more segments than `buffer` holds. Length 0 gives 0 segments.
    @inlinable
    public func segments(guestPhysical gpa: UInt64, length: Int,
                         into buffer: UnsafeMutableBufferPointer<GuestSegment>) -> Int? {
        guard length >= 0, let start = buffer.baseAddress else { return length == 0 ? 0 : nil }
        var count = 0
        let outcome = appendSegments(guestPhysical: gpa, length: UInt64(length), to: start, count: &count,
                                     capacity: buffer.count, hint: &state.pointee.lastHit)
        return outcome == .ok ? count : nil
    }

    /// The queue's building block: appends the translation of `[gpa, gpa + length)` at
    /// `out[count]`, advancing `count`, never writing at or past `capacity`.
    @inlinable
    public func appendSegments(guestPhysical gpa: UInt64, length: UInt64,
                               to out: UnsafeMutablePointer<GuestSegment>, count: inout Int, capacity: Int,
                               hint: inout Int) -> SegmentTranslation {
        guard !gpa.addingReportingOverflow(length).overflow else { return .unmapped }
        var address = gpa
        var remaining = length
        while remaining > 0 {
            guard count < capacity else { return .tooManySegments }
            let i = slotIndex(containing: address, userspace: false, hint: &hint)
            guard i >= 0 else { return .unmapped }
            let slot = slots[i]
            let offset = address &- slot.guestPhysicalAddress
            // offset < size (slotIndex), and validated sizes fit in Int.
            let take = min(remaining, slot.size &- offset)
            out[count] = GuestSegment(base: slot.host + Int(offset), length: Int(take), guestPhysical: address)
            count &+= 1
            address &+= take
            remaining &-= take
        }
        return .ok
    }

    @inlinable
    func lookup(_ address: UInt64, length: Int, userspace: Bool, hint: inout Int) -> UnsafeMutableRawPointer? {
        guard length >= 0 else { return nil }
        let i = slotIndex(containing: address, userspace: userspace, hint: &hint)
        guard i >= 0 else { return nil }
        let slot = slots[i]
        let offset = address &- (userspace ? slot.userspaceAddress : slot.guestPhysicalAddress)
        guard UInt64(length) <= slot.size &- offset else { return nil }
        return slot.host + Int(offset)
    }

    /// Index of the region containing `address`, or -1. `address - base < size` in wrapping
    /// arithmetic is the whole range check: addresses below base wrap to huge offsets.
    @inlinable
    func slotIndex(containing address: UInt64, userspace: Bool, hint: inout Int) -> Int {
        let n = state.pointee.count
        let h = hint
        if UInt(bitPattern: h) < UInt(bitPattern: n) {
            let s = slots[h]
            if address &- (userspace ? s.userspaceAddress : s.guestPhysicalAddress) < s.size { return h }
        }
        var i = 0
        while i < n {
            let s = slots[i]
            if address &- (userspace ? s.userspaceAddress : s.guestPhysicalAddress) < s.size {
                hint = i
                return i
            }
            i &+= 1
        }
        return -1
    }
}

/// Outcome of `appendSegments`: the two ways a chain's buffer can fail are counted differently.
public enum SegmentTranslation: UInt8, Sendable {
    case ok
    case unmapped
    case tooManySegments
}
