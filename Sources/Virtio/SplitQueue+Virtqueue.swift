import GuestMemory

/// `SplitQueue` as a `Virtqueue`: every requirement is one of its own methods, the two that take
/// frame bytes generic over `ByteSegment` (guest memory, or a frame in the uplink's ring or a TAP
/// device's buffer), specialized for each.
extension SplitQueue: Virtqueue {}

extension SplitQueue: ReservationWriting {
    @inlinable public var reservationWriter: ReservationWriter {
        ReservationWriter(cursor: cursor, chainStorage: chainStorage, segmentStorage: segmentStorage, dirtyLog: dirtyLog)
    }
}
