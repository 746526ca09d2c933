import CSwitchyard

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
            let desc = descriptorTable.pointer + 16 * Int(id)
            desc.storeBytes(of: buffers[Int(id)].gpa.littleEndian, toByteOffset: 0, as: UInt64.self)
            desc.storeBytes(of: UInt32(lengths[k]).littleEndian, toByteOffset: 8, as: UInt32.self)
            let flags: UInt16 = (writable ? 2 : 0) | (isLast ? 0 : 1)
            desc.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
            desc.storeBytes(of: (isLast ? 0 : ids[k + 1]).littleEndian, toByteOffset: 14, as: UInt16.self)
        }
        let slot = Int(availIdx) & (size - 1)
        availableRing.pointer.storeBytes(of: ids[0].littleEndian, toByteOffset: 4 + 2 * slot, as: UInt16.self)
        availIdx &+= 1
        csy_store_release_u16(availableRing.pointer + 2, availIdx)
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
            let entry = table.pointer + 16 * k
            entry.storeBytes(of: buffer.gpa.littleEndian, toByteOffset: 0, as: UInt64.self)
            entry.storeBytes(of: UInt32(isLast ? contents.count : 0).littleEndian, toByteOffset: 8, as: UInt32.self)
            let flags: UInt16 = (writable ? 2 : 0) | (isLast ? 0 : 1)
            entry.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
            entry.storeBytes(of: UInt16(isLast ? 0 : k + 1).littleEndian, toByteOffset: 14, as: UInt16.self)
        }
        let desc = descriptorTable.pointer + 16 * Int(id)
        desc.storeBytes(of: table.gpa.littleEndian, toByteOffset: 0, as: UInt64.self)
        desc.storeBytes(of: UInt32(16 * entries).littleEndian, toByteOffset: 8, as: UInt32.self)
        desc.storeBytes(of: UInt16(4).littleEndian, toByteOffset: 12, as: UInt16.self)   // VIRTQ_DESC_F_INDIRECT
        desc.storeBytes(of: UInt16(0), toByteOffset: 14, as: UInt16.self)
        let slot = Int(availIdx) & (size - 1)
        availableRing.pointer.storeBytes(of: id.littleEndian, toByteOffset: 4 + 2 * slot, as: UInt16.self)
        availIdx &+= 1
        csy_store_release_u16(availableRing.pointer + 2, availIdx)
        return id
    }
}
