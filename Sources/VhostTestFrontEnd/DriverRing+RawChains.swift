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
