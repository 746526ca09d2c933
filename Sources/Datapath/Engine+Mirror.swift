import GuestMemory
import SwitchCore
import Virtio

/// Port mirroring (SPAN, docs/mirroring.md). The forwarding path calls `mirrorReceived` at the
/// receive point (once per burst, after the decisions) and `mirrorSent` at the delivery point
/// (per delivered frame), each behind one test of the port's `Engine.mirrorFlags` byte, so ports
/// no mirror selects pay that test and nothing else.
/// Copies go to the output port through the same per-kind delivery as any frame (re-tagged for
/// the output, offloads kept or finished), counted on the output port like its other traffic, and
/// are never mirrored again.
extension Engine {
    /// A burst received from a port with `receiveSelected`, once decided: each frame is copied
    /// to every mirror that selects its source port or its VLAN. Out of line, and tested once per
    /// burst: the forwarding loop keeps only that flag test.
    @inline(never)
    func mirrorReceived<Burst: FrameBurst>(_ burst: Burst, frames: Int, scratch s: BurstScratch) {
        let source = burst.source
        for n in 0..<frames {
            mirrorReceived(burst.segments(ofFrame: n, scratch: s), header: s.headers + n, l2: burst.l2(ofFrame: n, scratch: s),
                           netHeader: s.netHeaders + n, from: source, pair: burst.pair, decision: s.decisions + n)
        }
    }

    @inline(__always)
    private func mirrorReceived<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>,
                                              header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
                                              netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                                              pair: Int, decision: UnsafePointer<ForwardingDecision>) {
        guard Engine.isMirrorable(decision.pointee) else { return }
        let table = mirrors
        let vlan = decision.pointee.vlan
        for m in 0..<table.count.pointee where table.selectsAtReceive(m, port: source.index, vlan: vlan) {
            copyToMirror(m, segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                         decision: decision)
        }
    }

    /// A frame the switch sends to a port with `sendSelected`: one copy per mirror that selects
    /// that destination, unless the mirror took it at the receive point already or at an earlier
    /// target of the same flood (each frame is copied at most once per mirror).
    @inline(never)
    func mirrorSent<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>,
                                          header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
                                          netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                                          pair: Int, to destination: UInt16,
                                          decision: UnsafePointer<ForwardingDecision>) {
        let table = mirrors
        let vlan = decision.pointee.vlan
        // Exactly the condition under which `mirrorReceived` ran for this frame.
        let receiveRan = table.portFlags[Int(source.index)] & MirrorTable.receiveSelected != 0
            && Engine.isMirrorable(decision.pointee)
        let flood = decision.pointee.kind == .flood
        for m in 0..<table.count.pointee where table.selectsDestination(m, port: destination) {
            if receiveRan && table.selectsAtReceive(m, port: source.index, vlan: vlan) { continue }
            if flood && floodReachedEarlier(m, table: table, before: destination) { continue }
            copyToMirror(m, segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                         decision: decision)
        }
    }

    /// A copy keeps the frame's VLAN identity, so only frames the switch placed in a VLAN are
    /// copied: forwarded, flooded, or dropped after classification (link-local, MAC limit, same
    /// port, storm control...). Frames refused before (runts, bad tags, a VLAN the port does not
    /// carry) belong to no VLAN the copy could show.
    @inline(__always)
    static func isMirrorable(_ d: ForwardingDecision) -> Bool {
        d.vlan != 0 && d.vlan < 4095 && !(d.kind == .drop && d.reason == .vlanNotAllowed)
    }

    /// Whether a flood target before `destination` (the targets are delivered in ascending order
    /// from `scratch.floodTargets`) is one of mirror `m`'s destinations: it was copied there.
    private func floodReachedEarlier(_ m: Int, table: MirrorTable, before destination: UInt16) -> Bool {
        let targets = scratch.floodTargets
        var i = 0
        while i < targets.count && targets[i] != destination {
            if table.selectsDestination(m, port: targets[i]) { return true }
            i &+= 1
        }
        return false
    }

    /// One copy to mirror `m`'s output, by its kind, counted on the mirror as copied or dropped.
    private func copyToMirror<Segment: ByteSegment>(_ m: Int, _ segments: UnsafeBufferPointer<Segment>,
                                                    header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
                                                    netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                                                    pair: Int, decision: UnsafePointer<ForwardingDecision>) {
        let table = mirrors
        let output = table.outputs[m]
        guard let entry = portTable[Int(output)] else {
            bridge.recordTransmitDrop(port: output, reason: .portDown)
            table.dropped[m] &+= 1
            return
        }
        let before = bridge.transmittedFrames(port: output)
        switch entry {
        case .vhostUser(let vhost):
            vhost._withUnsafeGuaranteedRef { target in
                deliverToGuest(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                               to: target, decision: decision)
            }
        case .uplink(let uplink):
            uplink._withUnsafeGuaranteedRef { uplink in
                deliverToUplink(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,
                                to: uplink, owner: entry, decision: decision.pointee)
            }
        case .tap(let tap):
            tap._withUnsafeGuaranteedRef { tap in
                deliverToTap(segments, header: header.pointee, l2: l2, netHeader: netHeader.pointee, from: source,
                             to: tap, decision: decision.pointee)
            }
        }
        if bridge.transmittedFrames(port: output) != before {
            table.copied[m] &+= 1
        } else {
            table.dropped[m] &+= 1
        }
    }
}

/// Configuration and counters (engine thread only: call through `perform`).
extension Engine {
    /// Installs `specifications` (replacing every mirror) and resolves them against the ports
    /// now present: call it after the ports change too (a reload does, docs/reload.md). A mirror
    /// whose output is missing stays inactive; a selected port that is missing selects nothing.
    /// Counters of mirrors kept by name survive. Returns one problem per unresolved name.
    @discardableResult
    public func setMirrors(_ specifications: [MirrorSpecification]) -> [String] {
        let table = mirrors
        var kept: [String: (copied: UInt64, dropped: UInt64)] = [:]
        for (spec, slot) in zip(table.specifications, table.slots) {
            if let slot { kept[spec.name] = (table.copied[slot], table.dropped[slot]) }
            else if let old = table.retired[spec.name] { kept[spec.name] = old }
        }
        let words = table.portWords
        table.count.pointee = 0
        table.portFlags.update(repeating: 0, count: table.maxPorts)
        table.sources.update(repeating: 0, count: MirrorTable.capacity * words)
        table.destinations.update(repeating: 0, count: MirrorTable.capacity * words)
        table.vlans.update(repeating: 0, count: MirrorTable.capacity * 64)
        var problems: [String] = []
        var slots: [Int?] = []
        var outputs = Set<UInt16>()
        table.retired = [:]
        for spec in specifications.prefix(MirrorTable.capacity) {
            guard let output = portIndex(named: spec.output) else {
                problems.append("mirror \(spec.name): no port named \(spec.output); inactive until it exists")
                slots.append(nil)
                if let k = kept[spec.name] { table.retired[spec.name] = k }
                continue
            }
            let m = table.count.pointee
            table.count.pointee = m + 1
            slots.append(m)
            table.outputs[m] = output
            outputs.insert(output)
            table.copied[m] = kept[spec.name]?.copied ?? 0
            table.dropped[m] = kept[spec.name]?.dropped ?? 0
            for (names, bits, flag) in [(spec.sourcePorts, table.sources, MirrorTable.receiveSelected),
                                        (spec.destinationPorts, table.destinations, MirrorTable.sendSelected)] {
                for name in names {
                    guard let index = portIndex(named: name) else {
                        problems.append("mirror \(spec.name): no port named \(name)")
                        continue
                    }
                    MirrorTable.set(bits + m * words, Int(index))
                    table.portFlags[Int(index)] |= flag
                }
            }
            for vlan in spec.vlans where vlan < 4096 { MirrorTable.set(table.vlans + m * 64, Int(vlan)) }
            // Frames of a mirrored VLAN are taken where they enter the switch: on every port that
            // carries it (membership decides which VLANs a port's frames can be classified into).
            if !spec.vlans.isEmpty {
                for index in bridge.portIndices where spec.vlans.contains(where: { bridge.carries(port: index, vlan: $0) }) {
                    table.portFlags[Int(index)] |= MirrorTable.receiveSelected
                }
            }
        }
        // An output sends nothing into the switch and its copies are never mirrored again.
        for index in bridge.portIndices {
            let isOutput = outputs.contains(index)
            bridge.setMirrorOutput(index, isOutput)
            if isOutput { table.portFlags[Int(index)] = 0 }
        }
        table.specifications = Array(specifications.prefix(MirrorTable.capacity))
        table.slots = slots
        for problem in problems { logger.warning("\(problem)") }
        return problems
    }

    /// Every configured mirror with its counters, in configuration order.
    public func mirrorStatistics() -> [MirrorStatistics] {
        let table = mirrors
        return zip(table.specifications, table.slots).map { spec, slot in
            guard let slot else {
                let old = table.retired[spec.name]
                return MirrorStatistics(name: spec.name, output: spec.output, isActive: false,
                                        copied: old?.copied ?? 0, dropped: old?.dropped ?? 0)
            }
            return MirrorStatistics(name: spec.name, output: spec.output, isActive: true,
                                    copied: table.copied[slot], dropped: table.dropped[slot])
        }
    }
}
