extension Bridge {
    /// The datapath delivered `frames` copies (`bytes` in total) out of `port`.
    @inlinable @inline(__always)
    public func recordTransmit(port: UInt16, frames: UInt64, bytes: UInt64) {
        guard Int(port) < maxPorts else { return }
        let row = counters.row(Int(port))
        row[PortCounterTable.Field.transmittedFrames.rawValue] &+= frames
        row[PortCounterTable.Field.transmittedBytes.rawValue] &+= bytes
    }

    /// The datapath made `copies` copies of one frame `port` flooded (one per target).
    @inlinable @inline(__always)
    public func recordFloodCopies(port: UInt16, copies: Int) {
        guard Int(port) < maxPorts else { return }
        counters.row(Int(port))[PortCounterTable.Field.floodCopies.rawValue] &+= UInt64(copies)
    }

    /// The datapath could not deliver `frames` copies out of `port` (e.g. `rx-ring-full`,
    /// `mtu-exceeded`, `tx-error`).
    @inlinable
    public func recordTransmitDrop(port: UInt16, reason: DropReason, frames: UInt64 = 1) {
        guard Int(port) < maxPorts else { return }
        counters.row(Int(port))[PortCounterTable.transmitDropsBase + Int(reason.rawValue)] &+= frames
    }

    /// `frames` copies already counted by `recordTransmit` were lost after all (an uplink's
    /// batched send: staged and counted as transmitted, then refused by the kernel at flush):
    /// they move from transmitted to dropped under `reason`, so each copy stays counted once.
    public func recordTransmitLost(port: UInt16, reason: DropReason, frames: UInt64, bytes: UInt64) {
        guard Int(port) < maxPorts else { return }
        let row = counters.row(Int(port))
        let f = PortCounterTable.Field.transmittedFrames.rawValue
        let b = PortCounterTable.Field.transmittedBytes.rawValue
        row[f] &-= min(frames, row[f])
        row[b] &-= min(bytes, row[b])
        row[PortCounterTable.transmitDropsBase + Int(reason.rawValue)] &+= frames
    }

    /// The datapath discarded frames it received on `port` before `decide` saw them
    /// (`malformed-descriptor`, `oversize`, …). Counted as received too, so the receive-side
    /// identity in `PortCounters` still holds.
    @inlinable
    public func recordReceiveDrop(port: UInt16, reason: DropReason, frames: UInt64 = 1, bytes: UInt64 = 0) {
        guard Int(port) < maxPorts else { return }
        let row = counters.row(Int(port))
        row[PortCounterTable.Field.receivedFrames.rawValue] &+= frames
        row[PortCounterTable.Field.receivedBytes.rawValue] &+= bytes
        row[PortCounterTable.receiveDropsBase + Int(reason.rawValue)] &+= frames
    }

    public func counters(port: UInt16) -> PortCounters? {
        guard Int(port) < maxPorts, states[Int(port)].isPresent else { return nil }
        return counters.snapshot(port: Int(port))
    }

    public func resetCounters(port: UInt16) {
        guard Int(port) < maxPorts else { return }
        counters.reset(port: Int(port))
    }

    public func snapshot(port: UInt16) -> PortSnapshot? {
        let i = Int(port)
        guard i < maxPorts, states[i].isPresent, let mode = modes[i] else { return nil }
        return PortSnapshot(index: port, name: names[i], mode: mode, isUp: states[i].isActive,
                            macLimit: fdb.macLimit(port: port), fdbEntries: fdb.entryCount(port: port),
                            counters: counters.snapshot(port: i))
    }

    /// Every present port, ascending by index. Control plane only: allocates.
    public func portSnapshots() -> [PortSnapshot] {
        portIndices.compactMap { snapshot(port: $0) }
    }

    /// Frames dropped per reason, summed over every port, receive and transmit side.
    public func totalDrops() -> [DropReason: UInt64] {
        var out: [DropReason: UInt64] = [:]
        for port in portIndices {
            let c = counters.snapshot(port: Int(port))
            for reason in DropReason.allCases {
                let n = c.receiveDrops(reason) &+ c.transmitDrops(reason)
                if n > 0 { out[reason, default: 0] &+= n }
            }
        }
        return out
    }
}
