/// Fixed storage for every port's counters: one row of UInt64 per port, no dictionaries, no
/// allocation after init. Row layout: the `Field`s, then receive drops, then transmit drops,
/// each indexed by `DropReason.rawValue`.
@usableFromInline
final class PortCounterTable {
    @usableFromInline enum Field: Int {
        case receivedFrames, receivedBytes, forwarded, flooded, transmittedFrames, transmittedBytes
        case floodCopies
    }
    // Computed constants: stored `static let`s are lazily initialised globals, checked per access.
    @inlinable static var fieldCount: Int { 7 }
    @inlinable static var receiveDropsBase: Int { fieldCount }
    @inlinable static var transmitDropsBase: Int { fieldCount + DropReason.count }
    @inlinable static var stride: Int { fieldCount + 2 * DropReason.count }

    @usableFromInline let storage: UnsafeMutablePointer<UInt64>
    @usableFromInline let rows: Int

    init(rows: Int) {
        self.rows = rows
        storage = .allocate(capacity: rows * PortCounterTable.stride)
        storage.initialize(repeating: 0, count: rows * PortCounterTable.stride)
    }

    deinit { storage.deallocate() }

    @inlinable @inline(__always)
    func row(_ port: Int) -> UnsafeMutablePointer<UInt64> {
        storage + port * PortCounterTable.stride
    }

    func reset(port: Int) {
        row(port).update(repeating: 0, count: PortCounterTable.stride)
    }

    func snapshot(port: Int) -> PortCounters {
        let r = row(port)
        var c = PortCounters()
        c.receivedFrames = r[Field.receivedFrames.rawValue]
        c.receivedBytes = r[Field.receivedBytes.rawValue]
        c.forwarded = r[Field.forwarded.rawValue]
        c.flooded = r[Field.flooded.rawValue]
        c.transmittedFrames = r[Field.transmittedFrames.rawValue]
        c.transmittedBytes = r[Field.transmittedBytes.rawValue]
        c.floodCopies = r[Field.floodCopies.rawValue]
        for i in 0..<DropReason.count {
            c.receiveDrops[i] = r[PortCounterTable.receiveDropsBase + i]
            c.transmitDrops[i] = r[PortCounterTable.transmitDropsBase + i]
        }
        return c
    }
}
