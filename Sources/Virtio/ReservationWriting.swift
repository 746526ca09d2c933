import GuestMemory

/// The RX write API of a queue: one implementation (`ReservationWriter`) for both ring formats.
public protocol ReservationWriting: AnyObject {
    var reservationWriter: ReservationWriter { get }
}

extension ReservationWriting {
    /// Writes the virtio-net header (num_buffers set to the reserved chain count when the header
    /// has the field) and then the frame: the bytes of `source` after its first `skipping` bytes
    /// (e.g. a TX chain's own header). Returns the bytes written in total.
    @inlinable @inline(__always) @discardableResult
    public func writeFrame<Segment: ByteSegment>(header: VirtioNetHeader, headerLength: Int,
                                                 from source: UnsafeBufferPointer<Segment>, skipping: Int) -> Int {
        reservationWriter.writeFrame(header: header, headerLength: headerLength, from: source, skipping: skipping)
    }

    /// Writes the frame bytes at `frame` after the header (for frames from a non-guest source).
    @inlinable @discardableResult
    public func writeFrame(header: VirtioNetHeader, headerLength: Int, frame: UnsafeRawBufferPointer) -> Int {
        reservationWriter.writeFrame(header: header, headerLength: headerLength, frame: frame)
    }

    /// Copies the bytes of `source` (after `skipping` bytes) into the reservation at its write
    /// cursor, filling each buffer completely before the next. The low-level form of `writeFrame`.
    /// Any `ByteSegment`: guest memory, or a frame in a host ring (the uplink's, a TAP device's).
    @inlinable @discardableResult
    public func writeReserved<Segment: ByteSegment>(from source: UnsafeBufferPointer<Segment>, skipping: Int) -> Int {
        reservationWriter.writeReserved(from: source, skipping: skipping)
    }

    /// Copies `count` bytes into the reservation at its write cursor; returns how many fitted.
    /// The bytes each chain received are recorded as its `usedLength`.
    @inlinable @discardableResult
    public func writeReserved(bytes: UnsafeRawPointer, count: Int) -> Int {
        reservationWriter.writeReserved(bytes: bytes, count: count)
    }
}
