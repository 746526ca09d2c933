import CSwitchyard
import Virtio

/// The driver side of a packed ring (virtio 1.1 §2.8): what a virtio-net driver with
/// VIRTIO_F_RING_PACKED does, for the in-process tests and benchmarks. Buffer ids come from the
/// same free list as split descriptor ids (`buffers[id]`); descriptors go into the ring in slot
/// order with the driver's wrap counter, the head's flags last.
extension DriverRing {
    /// Switches this (fresh) ring to the packed layout: the driver's and device's wrap counters
    /// start at 1 (§2.8.1), the event areas at zero (ENABLE).
    public func usePackedLayout() {
        precondition(inFlight == 0 || freeDescriptors.isEmpty && buffers.isEmpty, "switch before posting")
        packed = true
        availIdx = 0
        lastUsed = 0
        availWrap = true
        usedWrap = true
        spans = [UInt16](repeating: 1, count: size)
        packedLengths = buffers.map { UInt32($0.length) }
    }

    /// GET/SET_VRING_BASE's 16-bit half for the driver's next slot.
    public var packedAvailBase: UInt16 { PackedRing.encode(index: availIdx, wrap: availWrap) }
    /// The length buffer `id` is posted with by recycling (the benchmark's TX frame).
    public func setRecycleLength(_ id: Int, _ length: UInt32) { packedLengths[id] = length }

    /// Flags that make a descriptor available in the driver's current lap.
    func availableFlags(_ base: UInt16, wrap: Bool) -> UInt16 {
        base | (wrap ? PackedRing.flagAvail : PackedRing.flagUsed)
    }

    func postPacked(length: Int?, writable: Bool, contents: [UInt8]) throws -> UInt16 {
        guard let id = freeDescriptors.popLast() else { throw TestFrontEndError.ringFull }
        let buffer = buffers[Int(id)]
        guard contents.count <= buffer.length else { throw TestFrontEndError.badReply("contents larger than a buffer") }
        contents.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.pointer.copyMemory(from: base, byteCount: raw.count) }
        }
        postPackedRaw([(buffer.gpa, UInt32(length ?? buffer.length), writable ? PackedRing.flagWrite : 0)], id: id)
        return id
    }

    /// Writes `descriptors` at the next slots (NEXT added to all but the last), every one with
    /// `id`, and makes the chain available by storing the head's flags last (release). No free-list
    /// bookkeeping: hostile tests pass any id.
    public func postPackedRaw(_ descriptors: [(gpa: UInt64, length: UInt32, flags: UInt16)], id: UInt16) {
        var slot = availIdx
        var wrap = availWrap
        var headFlags: UInt16 = 0
        for (k, d) in descriptors.enumerated() {
            let last = k == descriptors.count - 1
            let flags = availableFlags(d.flags | (last ? 0 : PackedRing.flagNext), wrap: wrap)
            let entry = descriptorTable.pointer + 16 * Int(slot)
            entry.storeBytes(of: d.gpa.littleEndian, toByteOffset: 0, as: UInt64.self)
            entry.storeBytes(of: d.length.littleEndian, toByteOffset: 8, as: UInt32.self)
            entry.storeBytes(of: id.littleEndian, toByteOffset: 12, as: UInt16.self)
            if k == 0 { headFlags = flags } else { csy_store_release_u16(entry + 14, flags.littleEndian) }
            slot += 1
            if Int(slot) == size { slot = 0; wrap.toggle(); packedLaps += 1 }
        }
        if Int(id) < size { spans[Int(id)] = UInt16(descriptors.count) }
        csy_store_release_u16(descriptorTable.pointer + 16 * Int(availIdx) + 14, headFlags.littleEndian)
        availIdx = slot
        availWrap = wrap
    }

    /// A chain of `lengths.count` descriptors over buffers from the free list (ids used only as
    /// buffers; the chain is returned under the first), `contents` in the last one.
    @discardableResult
    public func postPackedChain(lengths: [Int], writable: Bool, contents: [UInt8] = []) throws -> UInt16 {
        guard !lengths.isEmpty, lengths.count <= freeDescriptors.count else { throw TestFrontEndError.ringFull }
        let ids = (0..<lengths.count).map { _ in freeDescriptors.removeLast() }
        let last = buffers[Int(ids[ids.count - 1])]
        contents.withUnsafeBytes { raw in
            if let base = raw.baseAddress { last.pointer.copyMemory(from: base, byteCount: raw.count) }
        }
        let flags = writable ? PackedRing.flagWrite : 0
        postPackedRaw(ids.enumerated().map { (buffers[Int($0.element)].gpa, UInt32(lengths[$0.offset]), flags) }, id: ids[0])
        return ids[0]
    }

    /// One INDIRECT descriptor over a table (written into `table`) of `entries`, returned as `id`.
    public func postPackedIndirect(table: GuestRAM.Block, entries: [(gpa: UInt64, length: UInt32, flags: UInt16)],
                                   id: UInt16, tableLength: UInt32? = nil) {
        for (k, e) in entries.enumerated() {
            let entry = table.pointer + 16 * k
            entry.storeBytes(of: e.gpa.littleEndian, toByteOffset: 0, as: UInt64.self)
            entry.storeBytes(of: e.length.littleEndian, toByteOffset: 8, as: UInt32.self)
            entry.storeBytes(of: UInt16(0), toByteOffset: 12, as: UInt16.self)
            entry.storeBytes(of: e.flags.littleEndian, toByteOffset: 14, as: UInt16.self)
        }
        postPackedRaw([(table.gpa, tableLength ?? UInt32(16 * entries.count), PackedRing.flagIndirect)], id: id)
    }

    /// Takes a buffer id off the free list (for raw posts that should be recycled normally).
    public func takeFreeID() throws -> UInt16 {
        guard let id = freeDescriptors.popLast() else { throw TestFrontEndError.ringFull }
        return id
    }

    func popUsedPacked() -> (id: UInt16, length: UInt32)? {
        let entry = descriptorTable.pointer + 16 * Int(lastUsed)
        let flags = UInt16(littleEndian: csy_load_acquire_u16(entry + 14))
        let avail = flags & PackedRing.flagAvail != 0
        let used = flags & PackedRing.flagUsed != 0
        guard avail == usedWrap, used == usedWrap else { return nil }
        let id = UInt16(littleEndian: entry.load(fromByteOffset: 12, as: UInt16.self))
        let length = UInt32(littleEndian: entry.load(fromByteOffset: 8, as: UInt32.self))
        let span = Int(id) < size ? Int(spans[Int(id)]) : 1
        var next = Int(lastUsed) + span
        if next >= size { next -= size; usedWrap.toggle() }
        lastUsed = UInt16(next)
        if eventIndex { setDriverEvent(offWrap: PackedRing.encode(index: lastUsed, wrap: usedWrap),
                                       flags: PackedRing.eventDescriptor) }
        guard Int(id) < size else { return nil }
        freeDescriptors.append(id)
        return (id, length)
    }

    /// The driver event area (§2.8.10): when the driver wants interrupts.
    public func setDriverEvent(offWrap: UInt16 = 0, flags: UInt16) {
        availableRing.pointer.storeBytes(of: offWrap.littleEndian, as: UInt16.self)
        csy_store_release_u16(availableRing.pointer + 2, flags.littleEndian)
    }

    /// The device event area as the device left it: (off_wrap, flags); flags 1 = "do not kick".
    public var deviceEvent: (offWrap: UInt16, flags: UInt16) {
        (UInt16(littleEndian: csy_load_acquire_u16(usedRing.pointer)),
         UInt16(littleEndian: csy_load_acquire_u16(usedRing.pointer + 2)))
    }

    /// The next used descriptor's slot with the driver's used wrap counter in bit 15.
    public var packedUsedPosition: UInt16 { PackedRing.encode(index: lastUsed, wrap: usedWrap) }

    func startRecyclingPacked(makeAllAvailable: Bool) {
        precondition(makeAllAvailable ? inFlight == 0 : inFlight == size,
                     "ring \(index) is not in the state recycling expects (\(inFlight) in flight)")
        setDriverEvent(flags: PackedRing.eventDisable)
        if makeAllAvailable {
            while let id = freeDescriptors.popLast() {
                let b = buffers[Int(id)]
                postPackedRaw([(b.gpa, packedLengths[Int(id)], 0)], id: id)
            }
        }
        freeDescriptors.removeAll()
    }

    /// Re-posts every buffer the device returned, with its length as it was (TX: the same frame
    /// again; RX: the whole buffer).
    func recyclePacked() -> Int {
        var n = 0
        var bytes = 0
        while true {
            let entry = descriptorTable.pointer + 16 * Int(lastUsed)
            let flags = UInt16(littleEndian: csy_load_acquire_u16(entry + 14))
            guard (flags & PackedRing.flagAvail != 0) == usedWrap, (flags & PackedRing.flagUsed != 0) == usedWrap else { break }
            let id = UInt16(littleEndian: entry.load(fromByteOffset: 12, as: UInt16.self))
            let length = UInt32(littleEndian: entry.load(fromByteOffset: 8, as: UInt32.self))
            lastUsed += 1
            if Int(lastUsed) == size { lastUsed = 0; usedWrap.toggle() }
            bytes += Int(length)
            n += 1
            // One descriptor back at the driver's next slot, written in place (no array per post:
            // the benchmark's wall-clock rate includes this loop).
            let b = buffers[Int(id) % buffers.count]
            let writable = index % 2 == 0
            let slot = descriptorTable.pointer + 16 * Int(availIdx)
            slot.storeBytes(of: b.gpa.littleEndian, toByteOffset: 0, as: UInt64.self)
            let postLength = writable ? UInt32(b.length) : packedLengths[Int(id) % buffers.count]
            slot.storeBytes(of: postLength.littleEndian, toByteOffset: 8, as: UInt32.self)
            slot.storeBytes(of: id.littleEndian, toByteOffset: 12, as: UInt16.self)
            let postFlags = availableFlags(writable ? PackedRing.flagWrite : 0, wrap: availWrap)
            csy_store_release_u16(slot + 14, postFlags.littleEndian)
            availIdx += 1
            if Int(availIdx) == size { availIdx = 0; availWrap.toggle(); packedLaps += 1 }
        }
        completed &+= n
        completedBytes &+= bytes
        return n
    }
}
