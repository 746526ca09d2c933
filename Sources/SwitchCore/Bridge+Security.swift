/// Port security (docs/port-security.md): allow-lists of source MACs, storm control, isolation.
/// Ports without any of them never come here: `decide` tests one flag per frame.
extension Bridge {
    /// Applies `security` to a present port. A new or changed allow-list flushes the port's
    /// learned entries, so no address learned before the list took effect stays in the FDB.
    public func setSecurity(_ index: UInt16, _ security: PortSecurity) throws(PortConfigurationError) {
        let i = Int(index)
        guard i < maxPorts else { throw .indexOutOfRange(index: index, maxPorts: maxPorts) }
        guard states[i].isPresent else { throw .noSuchPort(index) }
        for mac in security.allowedSources ?? [] where mac.isMulticast || mac == .zero {
            throw .invalidSourceMAC(mac)
        }
        if guards.settings[i].allowedSources != security.allowedSources && security.allowedSources != nil {
            fdb.flush(port: index)
        }
        guards.set(port: i, security)
        fdb.setSecured(port: index, security.allowedSources != nil)
        var flags = states[i].flags & ~(PortState.guarded | PortState.isolated)
        if security.needsGuard { flags |= PortState.guarded }
        if security.isolated { flags |= PortState.isolated }
        states[i].flags = flags
    }

    public func security(port: UInt16) -> PortSecurity {
        Int(port) < maxPorts ? guards.settings[Int(port)] : .none
    }

    /// Whether `port` may send from `source` (false for an unknown port). For SEND_RARP.
    public func allowsSource(port: UInt16, _ source: MACAddress) -> Bool {
        Int(port) < maxPorts && states[Int(port)].isPresent && guards.allows(port: Int(port), source: source)
    }

    func clearSecurity(_ i: Int) {
        guards.set(port: i, .none)
        fdb.setSecured(port: UInt16(i), false)
        states[i].flags &= ~(PortState.guarded | PortState.isolated)
    }

    /// `classify` with the port's guards around it: the allow-list before learning (a forbidden
    /// source is never learned), isolation and storm control on the result.
    @inline(never)
    func classifyGuarded(_ frame: FrameHeader, ingress: UInt16, isTrunk: Bool, untaggedVLAN: UInt16,
                         members: UnsafeMutablePointer<UInt64>, fdb: ForwardingDatabase, now: UInt32,
                         sourceMemo: inout Int, destinationMemo: inout Int,
                         repeatable: inout Bool) -> ForwardingDecision {
        let p = Int(ingress)
        // Runts and group sources keep their own reasons (classify's first checks).
        if !frame.isRunt && !frame.source.isMulticast && !guards.allows(port: p, source: frame.source) {
            return .drop(.sourceMACNotAllowed, pcp: frame.pcp)
        }
        let decision = classify(frame, ingress: ingress, isTrunk: isTrunk, untaggedVLAN: untaggedVLAN,
                                members: members, fdb: fdb, now: now, sourceMemo: &sourceMemo,
                                destinationMemo: &destinationMemo, repeatable: &repeatable)
        switch decision.kind {
        case .drop:
            return decision
        case .unicast:
            if states[p].flags & states[Int(decision.port)].flags & PortState.isolated != 0 {
                return .drop(.portIsolated, vlan: decision.vlan, pcp: decision.pcp)
            }
            return decision
        case .flood:
            guard guards.hasStormControl(port: p) else { return decision }
            // Every flood frame takes a token, so no run of identical frames shares a decision.
            repeatable = false
            let destination = frame.destination
            let kind: PortGuardTable.FloodClass = destination.isBroadcast ? .broadcast
                : destination.isMulticast ? .multicast : .unknownUnicast
            if guards.take(port: p, kind, now: now) { return decision }
            return .drop(.stormControl, vlan: decision.vlan, pcp: decision.pcp)
        }
    }
}
