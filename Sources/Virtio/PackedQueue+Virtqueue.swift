extension PackedQueue: Virtqueue {}

extension PackedQueue: ReservationWriting {
    @inlinable public var reservationWriter: ReservationWriter {
        ReservationWriter(cursor: cursor, chainStorage: chainStorage, segmentStorage: segmentStorage, dirtyLog: dirtyLog)
    }
}
