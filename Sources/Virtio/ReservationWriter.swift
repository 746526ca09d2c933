import CSwitchyard
import GuestMemory

/// RX writes into an open reservation, for either ring format: the queue's chains and segments
/// (scratch it filled when it reserved), its `ReservationCursor` and its dirty log, as pointers.
/// The bytes themselves are stored by `ReceiveCopy` (docs/rx-copy.md); this moves the write
/// cursor and keeps each chain's `usedLength`. A queue makes one per call (`reservationWriter`):
/// four pointers, folded away when inlined.
public struct ReservationWriter {
    @usableFromInline let cursor: UnsafeMutablePointer<ReservationCursor>
    @usableFromInline let chainStorage: UnsafeMutablePointer<DescriptorChain>
    @usableFromInline let segmentStorage: UnsafeMutablePointer<GuestSegment>
    @usableFromInline let dirtyLog: UnsafeMutablePointer<csy_dirty_log>?

    @inlinable
    init(cursor: UnsafeMutablePointer<ReservationCursor>, chainStorage: UnsafeMutablePointer<DescriptorChain>,
         segmentStorage: UnsafeMutablePointer<GuestSegment>, dirtyLog: UnsafeMutablePointer<csy_dirty_log>?) {
        self.cursor = cursor
        self.chainStorage = chainStorage
        self.segmentStorage = segmentStorage
        self.dirtyLog = dirtyLog
    }

    /// Writes the virtio-net header (num_buffers set to the reserved chain count when the header
    /// has the field) and then the frame: the bytes of `source` after its first `skipping` bytes
    /// (e.g. a TX chain's own header). Returns the bytes written in total.
    @inlinable @inline(__always) @discardableResult
    func writeFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                          from source: UnsafeBufferPointer<Segment>, skipping: Int) -> Int {
        if source.count == 1, skipping >= 0,
           let total = writeSingleBuffer(header: header, headerLength: headerLength, prefix: nil, prefixLength: 0,
                                         bytes: UnsafeRawPointer(source[0].base + skipping),
                                         count: source[0].length &- skipping) {
            return total
        }
        return writeThroughCursor(header: header, headerLength: headerLength, prefix: nil, prefixLength: 0,
                                  from: source, skipping: skipping)
    }

    /// Writes the frame bytes at `frame` after the header (for frames from a non-guest source).
    @usableFromInline @discardableResult
    func writeFrame(header: VirtioNetHeader, headerLength: Int, frame: UnsafeRawBufferPointer) -> Int {
        if let base = frame.baseAddress,
           let total = writeSingleBuffer(header: header, headerLength: headerLength, prefix: nil, prefixLength: 0,
                                         bytes: base, count: frame.count) {
            return total
        }
        var h = header
        h.numBuffers = UInt16(truncatingIfNeeded: cursor.pointee.chainCount)
        let written = writeHeader(h, length: headerLength)
        guard let base = frame.baseAddress else { return written }
        return written &+ writeReserved(bytes: base, count: frame.count)
    }

    /// The single-buffer fast path of a reservation: a fresh reservation of one chain of one
    /// buffer that holds header, prefix and bytes gets them in one `ReceiveCopy.fillSingle`, and
    /// the cursor ends where the general path would leave it. Nil, with nothing written, otherwise.
    @inlinable @inline(__always)
    func writeSingleBuffer(header: VirtioNetHeader, headerLength: Int, prefix: UnsafeRawPointer?, prefixLength: Int,
                           bytes: UnsafeRawPointer, count: Int) -> Int? {
        let s = cursor
        guard s.pointee.reservationOpen, s.pointee.chainCount == 1,
              s.pointee.writeChain | s.pointee.writeSegment | s.pointee.writeOffset == 0 else { return nil }
        let chain = chainStorage[0]
        guard chain.segmentCount == 1 else { return nil }
        let target = segmentStorage[chain.firstSegment]
        guard let total = ReceiveCopy.fillSingle(target, header: header, headerLength: headerLength, prefix: prefix,
                                                 prefixLength: prefixLength, bytes: bytes, count: count, log: dirtyLog)
        else { return nil }
        chainStorage[0]._usedLength &+= UInt32(truncatingIfNeeded: total)
        if total == target.length {
            s.pointee.writeSegment = 1
        } else {
            s.pointee.writeOffset = total
        }
        return total
    }

    /// Everything else through the write cursor: the header (num_buffers = the chain count; split
    /// across buffers if the driver split it), `prefixLength` bytes at `prefix`, then `source`
    /// after `skipping` bytes, over several buffers or chains.
    @inlinable @inline(never)
    func writeThroughCursor<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                  prefix: UnsafeRawPointer?, prefixLength: Int,
                                                  from source: UnsafeBufferPointer<Segment>, skipping: Int) -> Int {
        var h = header
        h.numBuffers = UInt16(truncatingIfNeeded: cursor.pointee.chainCount)
        var written = writeHeader(h, length: headerLength)
        if let prefix, prefixLength > 0 {
            written &+= writeReserved(bytes: prefix, count: prefixLength)
        }
        return written &+ writeReserved(from: source, skipping: skipping)
    }

    /// Copies the bytes of `source` (after `skipping` bytes) into the reservation at its write
    /// cursor, filling each buffer completely before the next. The low-level form of `writeFrame`.
    /// Any `ByteSegment`: guest memory, or a frame in a host ring (the uplink's, a TAP device's).
    @inlinable @discardableResult
    func writeReserved<Segment: ByteSegment>(from source: UnsafeBufferPointer<Segment>, skipping: Int) -> Int {
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
    @usableFromInline @discardableResult
    func writeReserved(bytes: UnsafeRawPointer, count: Int) -> Int {
        let s = cursor
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
            ReceiveCopy.write(into: piece, at: s.pointee.writeOffset, bytes: bytes + copied, count: n, log: dirtyLog)
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

    /// The header at the write cursor: in place when the cursor is at the start of the first
    /// buffer and it has room; otherwise through the cursor like frame bytes (a driver may split
    /// a header across descriptors). Nothing for a length other than 10 or 12.
    @usableFromInline
    func writeHeader(_ header: VirtioNetHeader, length: Int) -> Int {
        let s = cursor
        guard s.pointee.reservationOpen, s.pointee.chainCount > 0,
              length == VirtioNetHeader.legacyLength || length == VirtioNetHeader.length else { return 0 }
        let first = chainStorage[0]
        if s.pointee.writeChain == 0, s.pointee.writeSegment == 0, s.pointee.writeOffset == 0,
           first.segmentCount > 0, segmentStorage[first.firstSegment].length >= length {
            let target = segmentStorage[first.firstSegment]
            ReceiveCopy.write(into: target, at: 0, header: header, headerLength: length, prefix: nil, prefixLength: 0,
                              bytes: nil, count: 0, log: dirtyLog)
            if target.length == length {
                s.pointee.writeSegment = 1
            } else {
                s.pointee.writeOffset = length
            }
            chainStorage[0]._usedLength &+= UInt32(length)
            return length
        }
        // The wire form in our own memory, then through the cursor (which stores it piecewise).
        var wire: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &wire) { buffer in
            header.write(to: buffer.baseAddress!, length: length)
            return writeReserved(bytes: UnsafeRawPointer(buffer.baseAddress!), count: length)
        }
    }
}
