extension Bridge {
    /// Writes to `targets` every port, other than `excluding`, that is up and carries `vlan`,
    /// ascending; returns how many. Writes at most `targets.count` (size it `maxPorts`).
    public func floodTargets(vlan: UInt16, excluding: UInt16,
                             into targets: UnsafeMutableBufferPointer<UInt16>) -> Int {
        guard vlan < 4096, let base = targets.baseAddress else { return 0 }
        let word = Int(vlan >> 6)
        let bit: UInt64 = 1 &<< UInt64(vlan & 63)
        let limit = targets.count
        var written = 0
        // From an isolated port, isolated ports are no targets (docs/port-security.md): one mask
        // per flood, the same single compare per port.
        let wanted = PortState.exists | PortState.up
        // A mirror output gets no floods (docs/mirroring.md): one more bit in the same mask.
        let mask = wanted | PortState.mirrorOutput | (Int(excluding) < maxPorts ? states[Int(excluding)].flags & PortState.isolated : 0)
        for n in 0..<presentCount {
            let port = presentPorts[n]
            let i = Int(port)
            guard port != excluding, states[i].flags & mask == wanted,
                  membership[i &* 64 &+ word] & bit != 0 else { continue }
            guard written < limit else { break }
            base[written] = port
            written += 1
        }
        return written
    }

    /// How a frame of `vlan` leaves `port`: tagged on a trunk unless `vlan` is its native VLAN,
    /// untagged on an access port; on a mirror output, tagged unless `vlan` is its access or
    /// native VLAN, so the monitor sees each copy's VLAN. The datapath re-tags with `ForwardingDecision.egressTCI`, so
    /// the ingress priority survives trunk to trunk.
    @inlinable
    public func egressTag(port: UInt16, vlan: UInt16) -> EgressTag {
        guard Int(port) < maxPorts else { return .untagged }
        let state = states[Int(port)]
        if state.tagsOtherVLANs && state.untaggedVLAN != vlan { return EgressTag(tagged: true, vid: vlan) }
        return .untagged
    }
}
