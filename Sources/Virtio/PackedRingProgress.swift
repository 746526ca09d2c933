import CSwitchyard

/// A packed ring's used-side progress, kept by `PackedQueue` in memory that outlives the
/// back-end's process (a shared file mapping: `PackedRingJournal` in VhostUser). A split ring's
/// `used->idx` in guest memory says where the device stood; a packed ring has nothing like it, so
/// after a restart this record is the only one (docs/memory-hotplug-and-reconnect.md,
/// "Packed rings").
///
/// Three fields, positions encoded as slot | wrap << 15 (`PackedRing.encode`):
/// * `published` (u16 at 0): every used descriptor before it is visible to the driver;
/// * `written` (u16 at 2): used descriptors from `published` to here are written, all but the first
///   with their flags (the first one's are held back until the publish, `PackedQueue.pushUsed`);
/// * `pending` (u64 at 8): the used descriptor being written now, starting at `written`: its end
///   position (bits 0-15), id (16-31) and length (32-63).
///
/// `pushUsed` stores `pending`, then the descriptor, then `written`; `publishUsed` reveals the held
/// flags, then stores `published`. A kill stops the process between two instructions, so the file
/// holds a prefix of those stores (`csy_signal_fence` keeps the compiler from reordering them), and
/// `recover` can finish whatever batch was cut short: every completion we wrote reaches the driver,
/// none twice.
public enum PackedRingProgress {
    public static let byteCount = 16
    static let publishedOffset = 0
    static let writtenOffset = 2
    static let pendingOffset = 8

    /// Sets all three fields to `position` (a ring that starts there with nothing written).
    public static func reset(_ record: UnsafeMutableRawPointer, to position: UInt16) {
        record.storeBytes(of: position, toByteOffset: publishedOffset, as: UInt16.self)
        record.storeBytes(of: position, toByteOffset: writtenOffset, as: UInt16.self)
        record.storeBytes(of: UInt64(position), toByteOffset: pendingOffset, as: UInt64.self)
    }

    public static func published(_ record: UnsafeRawPointer) -> UInt16 {
        record.load(fromByteOffset: publishedOffset, as: UInt16.self)
    }

    /// Finishes in the descriptor ring (`size` slots at `ring`) the batch a killed back-end left
    /// unpublished and returns the position to resume at, for both halves: the interrupted used
    /// descriptor is written whole from `pending`, the batch's first descriptor gets its held
    /// flags, and the ring goes on after the last completion written. Nil when a position in the
    /// record is outside the ring (not a record of this ring: start from the front-end's base).
    public static func recover(_ record: UnsafeMutableRawPointer, ring: UnsafeMutableRawPointer,
                               size: UInt16) -> UInt16? {
        let published = record.load(fromByteOffset: publishedOffset, as: UInt16.self)
        var written = record.load(fromByteOffset: writtenOffset, as: UInt16.self)
        let pending = record.load(fromByteOffset: pendingOffset, as: UInt64.self)
        let end = UInt16(truncatingIfNeeded: pending)
        for p in [published, written, end] where p & ~PackedRing.wrapBit >= size { return nil }
        if end != written {
            // Killed while writing this descriptor: write it again, whole.
            let d = slot(written, ring)
            d.storeBytes(of: UInt32(truncatingIfNeeded: pending >> 32).littleEndian, toByteOffset: 8, as: UInt32.self)
            d.storeBytes(of: UInt16(truncatingIfNeeded: pending >> 16).littleEndian, toByteOffset: 12, as: UInt16.self)
            if written != published { revealUsed(at: written, ring) }
            written = end
        }
        if written != published { revealUsed(at: published, ring) }
        reset(record, to: written)
        return written
    }

    /// The used flags `pushUsed` gives the descriptor at `position`: AVAIL and USED equal to the
    /// wrap counter there, WRITE when it carries a length.
    static func revealUsed(at position: UInt16, _ ring: UnsafeMutableRawPointer) {
        let d = slot(position, ring)
        var flags: UInt16 = position & PackedRing.wrapBit != 0 ? PackedRing.flagAvail | PackedRing.flagUsed : 0
        if UInt32(littleEndian: d.load(fromByteOffset: 8, as: UInt32.self)) > 0 { flags |= PackedRing.flagWrite }
        csy_store_release_u16(d + 14, flags.littleEndian)
    }

    static func slot(_ position: UInt16, _ ring: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        ring + Int(position & ~PackedRing.wrapBit) &* PackedRing.descriptorSize
    }
}
