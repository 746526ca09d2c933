import Virtio

/// Chains a real driver would never post, for attack tests (docs/limits.md).
extension DriverRing {
    /// Posts one chain of `lengths.count` descriptors, each over its own buffer with the given
    /// length (0 is allowed), NEXT-linked in order; `contents` go into the last one. Only the
    /// head comes back in the used ring, so the other descriptors stay taken (tests post few).
    @discardableResult
    public func postChain(lengths: [Int], writable: Bool, contents: [UInt8] = []) throws -> UInt16 {
        guard !lengths.isEmpty, lengths.count <= freeDescriptors.count else { throw TestFrontEndError.ringFull }
        let ids = (0..<lengths.count).map { _ in freeDescriptors.removeLast() }
        let last = buffers[Int(ids[ids.count - 1])]
        guard contents.count <= last.length else { throw TestFrontEndError.badReply("contents larger than a buffer") }
        contents.withUnsafeBytes { raw in
            if let base = raw.baseAddress { last.pointer.copyMemory(from: base, byteCount: raw.count) }
        }
        for (k, id) in ids.enumerated() {
            let isLast = k == ids.count - 1
            DriverRing.writeDescriptor(at: descriptorTable.pointer + 16 * Int(id), address: buffers[Int(id)].gpa,
                                       length: UInt32(lengths[k]), flags: (writable ? 2 : 0) | (isLast ? 0 : 1),
                                       next: isLast ? 0 : ids[k + 1])
        }
        publish(head: ids[0])
        return ids[0]
    }

    /// Posts one INDIRECT descriptor whose table (written into `table`, 16 bytes an entry) has
    /// `empty` zero-length entries and then one entry holding `contents` (in the head descriptor's
    /// own buffer), NEXT-linked in order.
    @discardableResult
    public func postIndirect(table: GuestRAM.Block, empty: Int, writable: Bool, contents: [UInt8]) throws -> UInt16 {
        guard let id = freeDescriptors.popLast() else { throw TestFrontEndError.ringFull }
        let entries = empty + 1
        guard table.length >= 16 * entries else { throw TestFrontEndError.outOfGuestMemory }
        let buffer = buffers[Int(id)]
        guard contents.count <= buffer.length else { throw TestFrontEndError.badReply("contents larger than a buffer") }
        contents.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.pointer.copyMemory(from: base, byteCount: raw.count) }
        }
        for k in 0..<entries {
            let isLast = k == entries - 1
            DriverRing.writeDescriptor(at: table.pointer + 16 * k, address: buffer.gpa,
                                       length: UInt32(isLast ? contents.count : 0), flags: (writable ? 2 : 0) | (isLast ? 0 : 1),
                                       next: UInt16(isLast ? 0 : k + 1))
        }
        // VIRTQ_DESC_F_INDIRECT (4); the table's own length, 16 bytes an entry.
        DriverRing.writeDescriptor(at: descriptorTable.pointer + 16 * Int(id), address: table.gpa,
                                   length: UInt32(16 * entries), flags: 4, next: 0)
        publish(head: id)
        return id
    }
}

/// Descriptors, indices and event fields written one by one, for rings made with
/// `init(ram:size:descriptorGPA:availGPA:usedGPA:)` (the ring-level Virtio tests, the fuzzers).
/// The test plays both sides on one thread, so plain stores suffice.
extension DriverRing {
    /// One descriptor in the ring's table, or in an indirect table at guest address `table`.
    public func setDescriptor(_ i: UInt16, address: UInt64, length: UInt32, flags: UInt16, next: UInt16 = 0,
                              table: UInt64? = nil) {
        let entry = table.map { ram.driverPointer($0 + UInt64(i) * 16) } ?? descriptorTable.pointer + 16 * Int(i)
        DriverRing.writeDescriptor(at: entry, address: address, length: length, flags: flags, next: next)
    }

    /// Makes the chain at `head` the next available one.
    public func makeAvailable(head: UInt16) { publish(head: head) }

    /// Publishes an avail.idx without filling ring entries (for impossible-index tests).
    public func forceAvailIndex(_ value: UInt16) {
        availableRing.pointer.storeBytes(of: value.littleEndian, toByteOffset: 2, as: UInt16.self)
    }

    /// A chain of direct descriptors over the given guest buffers, NEXT-linked in order; returns its head.
    @discardableResult
    public func addChain(_ buffers: [(gpa: UInt64, length: UInt32)], writable: Bool) -> UInt16 {
        let mask = UInt16(size - 1)
        let head = nextRawDescriptor
        for (k, b) in buffers.enumerated() {
            let i = nextRawDescriptor
            nextRawDescriptor = (nextRawDescriptor &+ 1) & mask
            let last = k == buffers.count - 1
            let flags = (writable ? SplitRing.descriptorFlagWrite : 0) | (last ? 0 : SplitRing.descriptorFlagNext)
            setDescriptor(i, address: b.gpa, length: b.length, flags: flags, next: nextRawDescriptor)
        }
        publish(head: head)
        return head
    }

    /// One ring descriptor pointing at an indirect table at guest address `table` holding `entries`
    /// (chained in order); returns its head.
    @discardableResult
    public func addIndirectChain(_ entries: [(gpa: UInt64, length: UInt32)], writable: Bool, table: UInt64) -> UInt16 {
        for (k, e) in entries.enumerated() {
            let last = k == entries.count - 1
            let flags = (writable ? SplitRing.descriptorFlagWrite : 0) | (last ? 0 : SplitRing.descriptorFlagNext)
            setDescriptor(UInt16(k), address: e.gpa, length: e.length, flags: flags, next: UInt16(k + 1), table: table)
        }
        let head = nextRawDescriptor
        nextRawDescriptor = (nextRawDescriptor &+ 1) & UInt16(size - 1)
        setDescriptor(head, address: table, length: UInt32(entries.count * 16), flags: SplitRing.descriptorFlagIndirect)
        publish(head: head)
        return head
    }

    /// Used element `i` (taken modulo the ring size): (id, bytes written).
    public func usedElement(_ i: UInt16) -> (id: UInt32, length: UInt32) {
        let p = usedRing.pointer + 4 + 8 * Int(i & UInt16(size - 1))
        return (UInt32(littleEndian: p.load(as: UInt32.self)), UInt32(littleEndian: p.load(fromByteOffset: 4, as: UInt32.self)))
    }

    /// used_event (EVENT_IDX): the device signals when its used.idx passes this value.
    public func setUsedEvent(_ value: UInt16) {
        availableRing.pointer.storeBytes(of: value.littleEndian, toByteOffset: 4 + 2 * size, as: UInt16.self)
    }

    /// avail.flags (VRING_AVAIL_F_NO_INTERRUPT = 1).
    public func setAvailFlags(_ value: UInt16) {
        availableRing.pointer.storeBytes(of: value.littleEndian, as: UInt16.self)
    }

    /// The device side of this ring over `ram.table` (see `GuestRAM.makeQueue`); `lastAvail`
    /// defaults to the driver's avail.idx.
    public func makeQueue(eventIndex: Bool, indirect: Bool = false, lastAvail: UInt16? = nil,
                          limits: SplitQueue.Limits = SplitQueue.Limits()) -> SplitQueue? {
        ram.makeQueue(size: size, descriptorGPA: descriptorTable.gpa, availGPA: availableRing.gpa, usedGPA: usedRing.gpa,
                      eventIndex: eventIndex, indirect: indirect, lastAvailIndex: lastAvail ?? availIdx, limits: limits)
    }
}
