extension Bridge {
    /// Makes port `index` a mirror output or a normal port again (docs/mirroring.md). An output
    /// receives no floods and no unicast, its own frames are dropped `mirror-output` without
    /// learning, and copies leave it tagged unless in its access or native VLAN. Becoming one
    /// flushes what it learned as a normal port. Returns false for an absent port.
    @discardableResult
    public func setMirrorOutput(_ index: UInt16, _ on: Bool) -> Bool {
        guard Int(index) < maxPorts, states[Int(index)].isPresent else { return false }
        let i = Int(index)
        if on {
            if states[i].flags & PortState.mirrorOutput == 0 { fdb.flush(port: index) }
            states[i].flags |= PortState.mirrorOutput
        } else {
            states[i].flags &= ~PortState.mirrorOutput
        }
        return true
    }

    public func isMirrorOutput(_ index: UInt16) -> Bool {
        Int(index) < maxPorts && states[Int(index)].flags & PortState.mirrorOutput != 0
    }

    /// Whether port `index` carries `vlan` (its frames can be classified into it).
    public func carries(port index: UInt16, vlan: UInt16) -> Bool {
        guard Int(index) < maxPorts, vlan < 4096 else { return false }
        return membership[Int(index) &* 64 &+ Int(vlan >> 6)] & (1 &<< UInt64(vlan & 63)) != 0
    }
}

extension Bridge {
    /// Frames counted as transmitted on `port` so far (a mirror compares it around one copy).
    public func transmittedFrames(port: UInt16) -> UInt64 {
        guard Int(port) < maxPorts else { return 0 }
        return counters.row(Int(port))[PortCounterTable.Field.transmittedFrames.rawValue]
    }
}
