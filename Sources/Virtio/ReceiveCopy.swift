import CSwitchyard
import GuestMemory

/// The copy engine for guest RX writes (docs/rx-copy.md). Every byte the device writes into a
/// guest's RX buffers — virtio-net header, the frame's L2 prefix, frame bytes — is stored by
/// `write(into:at:header:headerLength:prefix:prefixLength:bytes:count:)` and nowhere else.
///
/// It sees translated buffers (`GuestSegment`), not descriptors: the split queue finds the buffer
/// and moves its write cursor, and a packed ring can use the same engine. Because each target
/// segment carries its guest-physical address, the dirty-page log for live migration is kept
/// here, at the end of `write`: with a `log`, it marks `[target.guestPhysical + offset, + written)`
/// in the queue's log cache (docs/dirty-log.md). Used-ring updates are the one other kind of
/// guest write, and are logged where they are published (`SplitQueue+Used.swift`). A ring format
/// passes its queue's log on every write of its general path; the split queue's fast path passes
/// nil and is not taken while logging.
@usableFromInline
enum ReceiveCopy {
    /// Stores, back to back from `offset` bytes into `target`: the first `headerLength` bytes of
    /// `header` (0, or 10 / 12), `prefixLength` bytes at `prefix`, and `count` bytes at `bytes`.
    /// The caller has checked that `target` holds them all. Returns the bytes written. Inlined
    /// with constant arguments, the parts a caller does not use cost nothing.
    @inlinable @inline(__always) @discardableResult
    static func write(into target: GuestSegment, at offset: Int, header: VirtioNetHeader, headerLength: Int,
                      prefix: UnsafeRawPointer?, prefixLength: Int, bytes: UnsafeRawPointer?, count: Int,
                      log: UnsafeMutablePointer<csy_dirty_log>? = nil) -> Int {
        var p = target.base + offset
        if headerLength != 0 {
            header.write(to: p, length: headerLength)
            p += headerLength
        }
        if let prefix, prefixLength > 0 {
            copyShort(to: p, from: prefix, count: prefixLength)
            p += prefixLength
        }
        if let bytes {
            p.copyMemory(from: bytes, byteCount: count)
        }
        let written = headerLength &+ prefixLength &+ count
        if let log {
            // The cache is flushed (fence, then the bits) when the queue publishes its used index.
            csy_dirty_log_mark(log, target.guestPhysical &+ UInt64(truncatingIfNeeded: offset),
                               UInt64(truncatingIfNeeded: written))
        }
        return written
    }

    /// `count` bytes at `bytes` into `target` at `offset`: a piece of the reservation's cursor walk.
    @inlinable @inline(__always)
    static func write(into target: GuestSegment, at offset: Int, bytes: UnsafeRawPointer, count: Int,
                      log: UnsafeMutablePointer<csy_dirty_log>? = nil) {
        write(into: target, at: offset, header: VirtioNetHeader(), headerLength: 0, prefix: nil, prefixLength: 0,
              bytes: bytes, count: count, log: log)
    }

    /// The single-buffer fast path, shared by `SplitQueue.receiveFrame` and the first write into
    /// a one-buffer reservation: the header (num_buffers 1), the prefix and `count` bytes at
    /// `bytes`, all into `target` from its start. Nil, with nothing written, unless the header
    /// length is 10 or 12, there is something after the header and `target` holds it all.
    @inlinable @inline(__always)
    static func fillSingle(_ target: GuestSegment, header: VirtioNetHeader, headerLength: Int,
                           prefix: UnsafeRawPointer?, prefixLength: Int, bytes: UnsafeRawPointer, count: Int,
                           log: UnsafeMutablePointer<csy_dirty_log>? = nil) -> Int? {
        let prefixBytes = prefix == nil ? 0 : max(0, prefixLength)
        let total = headerLength &+ prefixBytes &+ count
        guard headerLength == VirtioNetHeader.length || headerLength == VirtioNetHeader.legacyLength,
              count >= 0, prefixBytes &+ count > 0, total <= target.length else { return nil }
        var h = header
        h.numBuffers = 1
        return write(into: target, at: 0, header: h, headerLength: headerLength, prefix: prefix,
                     prefixLength: prefixBytes, bytes: bytes, count: count, log: log)
    }

    /// Copies a few bytes (a frame's L2 header: 14 or 18) with two overlapping loads and stores
    /// instead of a memcpy call; any other length goes to memcpy. The ranges must not overlap.
    @inlinable @inline(__always)
    static func copyShort(to target: UnsafeMutableRawPointer, from bytes: UnsafeRawPointer, count: Int) {
        if count >= 16 && count <= 32 {
            let a = bytes.loadUnaligned(as: SIMD16<UInt8>.self)
            let b = bytes.loadUnaligned(fromByteOffset: count &- 16, as: SIMD16<UInt8>.self)
            target.storeBytes(of: a, as: SIMD16<UInt8>.self)
            target.storeBytes(of: b, toByteOffset: count &- 16, as: SIMD16<UInt8>.self)
        } else if count >= 8 && count < 16 {
            let a = bytes.loadUnaligned(as: UInt64.self)
            let b = bytes.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            target.storeBytes(of: a, as: UInt64.self)
            target.storeBytes(of: b, toByteOffset: count &- 8, as: UInt64.self)
        } else if count > 0 {
            target.copyMemory(from: bytes, byteCount: count)
        }
    }
}
