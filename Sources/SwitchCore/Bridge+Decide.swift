extension Bridge {
    /// Decides a burst of frames received on `ingress`, writing one decision per frame to `into`,
    /// learning their sources and counting them on the ingress port. Allocates nothing.
    ///
    /// Order of checks, each a drop reason: runt → tag stack (`vlan-stack`, docs/vlan-safety.md)
    /// → multicast source → VLAN classification
    /// (tagged-on-access, untagged-on-trunk, not-allowed) → link-local destination → MAC limit
    /// (learning) → destination: flood for group addresses and unknown unicast, else the learned
    /// port unless it is the ingress (`same-port`) or down (`port-down`).
    /// A frame from an unknown or down port is dropped `port-down` (counted if the port exists).
    /// Ports with port security (docs/port-security.md) add the source allow-list before these
    /// checks (`source-mac-not-allowed`), isolation (`port-isolated`) and storm control
    /// (`storm-control`) after them: `classifyGuarded`.
    public func decide(ingress: UInt16, frames: UnsafePointer<FrameHeader>, count: Int,
                       into decisions: UnsafeMutablePointer<ForwardingDecision>, now: UInt32) {
        guard count > 0 else { return }
        let p = Int(ingress)
        guard p < maxPorts, states[p].isForwarding else {
            // A mirror output's frames go no further (docs/mirroring.md): the same one compare.
            let reason: DropReason = p < maxPorts && states[p].isActive ? .mirrorOutput : .portDown
            for n in 0..<count { decisions[n] = .drop(reason) }
            if p < maxPorts, states[p].isPresent { countDownPortBurst(p, frames: frames, count: count, reason: reason) }
            return
        }
        let state = states[p]
        let isTrunk = state.isTrunk
        let untaggedVLAN = state.untaggedVLAN
        let guarded = state.isGuarded
        let members = membership + p * 64
        let fdb = self.fdb
        let row = counters.row(p)
        let dropBase = row + PortCounterTable.receiveDropsBase
        var bytes: UInt64 = 0
        var forwarded: UInt64 = 0
        var flooded: UInt64 = 0
        // Slots of the previous frame's source and destination (see `learn(key:port:now:memo:)`).
        var sourceMemo = 0
        var destinationMemo = 0
        var n = 0
        while n < count {
            let frame = frames[n]
            var repeatable = true
            // Ports with port security take the guarded path; the rest pay this one flag test.
            let decision = guarded
                ? classifyGuarded(frame, ingress: ingress, isTrunk: isTrunk, untaggedVLAN: untaggedVLAN,
                                  members: members, fdb: fdb, now: now, sourceMemo: &sourceMemo,
                                  destinationMemo: &destinationMemo, repeatable: &repeatable)
                : classify(frame, ingress: ingress, isTrunk: isTrunk, untaggedVLAN: untaggedVLAN,
                           members: members, fdb: fdb, now: now, sourceMemo: &sourceMemo,
                           destinationMemo: &destinationMemo, repeatable: &repeatable)
            decisions[n] = decision
            bytes &+= UInt64(frame.length)
            var end = n &+ 1
            // A burst is mostly one flow. The frames that follow with the same addresses and tag
            // get the same decision: within a burst the port states are fixed, and learning the
            // same source again changes nothing, unless that learn was refused (limit reached,
            // table full: every refusal is counted and may evict), which `repeatable` reports.
            if repeatable {
                while end < count && frames[end].decidesLike(frame) {
                    decisions[end] = decision
                    bytes &+= UInt64(frames[end].length)
                    end &+= 1
                }
            }
            let run = UInt64(end &- n)
            switch decision.kind {
            case .unicast: forwarded &+= run
            case .flood: flooded &+= run
            case .drop: dropBase[Int(decision.reason.rawValue)] &+= run
            }
            n = end
        }
        row[PortCounterTable.Field.receivedFrames.rawValue] &+= UInt64(count)
        row[PortCounterTable.Field.receivedBytes.rawValue] &+= bytes
        row[PortCounterTable.Field.forwarded.rawValue] &+= forwarded
        row[PortCounterTable.Field.flooded.rawValue] &+= flooded
    }

    /// One frame, for tests and slow paths. Same semantics and counting as the burst form.
    public func decide(ingress: UInt16, frame: FrameHeader, now: UInt32) -> ForwardingDecision {
        var header = frame
        var decision = ForwardingDecision.drop(.portDown)
        decide(ingress: ingress, frames: &header, count: 1, into: &decision, now: now)
        return decision
    }

    @inline(__always)
    func classify(_ frame: FrameHeader, ingress: UInt16, isTrunk: Bool, untaggedVLAN: UInt16,
                  members: UnsafeMutablePointer<UInt64>, fdb: ForwardingDatabase, now: UInt32,
                  sourceMemo: inout Int, destinationMemo: inout Int, repeatable: inout Bool) -> ForwardingDecision {
        if frame.isRunt { return .drop(.runt) }
        // Before the VID is read: a tag behind the one classified would ride out unchecked.
        if frame.hasTagStack { return .drop(.vlanStack) }
        if frame.source.isMulticast { return .drop(.multicastSource) }
        let vid = frame.vid
        let pcp = frame.pcp
        let vlan: UInt16
        if vid == 0 {
            // Untagged, or priority-tagged (802.1Q: VID 0 carries only a priority).
            if untaggedVLAN == 0 { return .drop(.untaggedOnTrunk, pcp: pcp) }
            vlan = untaggedVLAN
        } else if !isTrunk {
            return .drop(.vlanTaggedOnAccess, pcp: pcp)
        } else if members[Int(vid >> 6)] & (1 &<< UInt64(vid & 63)) == 0 {
            return .drop(.vlanNotAllowed, vlan: vid, pcp: pcp)
        } else {
            vlan = vid
        }
        if frame.destination.isLinkLocal { return .drop(.linkLocal, vlan: vlan, pcp: pcp) }
        let learned = fdb.learn(key: FDBSlot.key(vlan: vlan, mac: frame.source), port: ingress, now: now,
                                memo: &sourceMemo)
        if learned.isRefusalOrFull {
            repeatable = false
            if learned == .limitReached { return .drop(.macLimit, vlan: vlan, pcp: pcp) }
            if learned == .securedElsewhere { return .drop(.sourceMACNotAllowed, vlan: vlan, pcp: pcp) }
        }
        if frame.destination.isMulticast { return .flood(vlan: vlan, pcp: pcp) }
        let slot = fdb.findSlot(FDBSlot.key(vlan: vlan, mac: frame.destination), memo: &destinationMemo)
        if slot < 0 { return .flood(vlan: vlan, pcp: pcp) }
        let egress = fdb.slots[slot].port
        if egress == ingress { return .drop(.samePort, vlan: vlan, pcp: pcp) }
        if !states[Int(egress)].isForwarding { return .drop(.portDown, vlan: vlan, pcp: pcp) }
        return .unicast(egress, vlan: vlan, pcp: pcp)
    }

    @inline(never)
    func countDownPortBurst(_ p: Int, frames: UnsafePointer<FrameHeader>, count: Int, reason: DropReason) {
        let row = counters.row(p)
        var bytes: UInt64 = 0
        for n in 0..<count { bytes &+= UInt64(frames[n].length) }
        row[PortCounterTable.Field.receivedFrames.rawValue] &+= UInt64(count)
        row[PortCounterTable.Field.receivedBytes.rawValue] &+= bytes
        row[PortCounterTable.receiveDropsBase + Int(reason.rawValue)] &+= UInt64(count)
    }
}

extension FrameHeader {
    /// Same addresses, tag and runt-ness: everything `classify` reads but the length.
    @inline(__always)
    func decidesLike(_ other: FrameHeader) -> Bool {
        destination == other.destination && source == other.source && tci == other.tci
            && isTagged == other.isTagged && isRunt == other.isRunt && hasTagStack == other.hasTagStack
    }
}
