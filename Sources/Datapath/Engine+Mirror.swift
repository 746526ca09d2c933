import GuestMemory
import SwitchCore
import Virtio

/// Port mirroring (SPAN, docs/mirroring.md). The forwarding path makes one test per burst, after
/// its frames are forwarded and before they are given back: the source port's
/// `Engine.mirrorFlags` byte. Zero (no mirror selects
/// the port or its VLANs, and no mirror selects destinations) means nothing more; otherwise
/// `mirrorBurst`, out of line, copies the burst's selected frames. So ports no mirror concerns pay
/// one load and branch per burst, and no frame pays anything per frame.
/// Copies go to the output port through the same per-kind delivery as any frame (re-tagged for
/// the output, offloads kept or finished), counted on the output port like its other traffic, and
/// are never mirrored again.
extension Engine {
    /// The burst's frames, decided and forwarded (the copies follow their originals): each is copied at most once to every mirror that selects its
    /// source port or its VLAN (`receiveSelected` on the source), or a port the switch sends it to
    /// (`sendSelected`: the unicast destination, or any target of its flood).
    @inline(never)
    func mirrorBurst<Burst: FrameBurst>(_ burst: Burst, frames: Int, scratch s: BurstScratch) {
        let table = mirrors
        let source = burst.source
        let flags = mirrorFlags[Int(source.index)]
        let receive = flags & MirrorTable.receiveSelected != 0
        let send = flags & MirrorTable.sendSelected != 0
        let count = table.count.pointee
        for n in 0..<frames {
            let decision = s.decisions + n
            // Mirrors that copied this frame already (at most 16: `MirrorTable.capacity`).
            var copied: UInt32 = 0
            if receive && Engine.isMirrorable(decision.pointee) {
                let vlan = decision.pointee.vlan
                for m in 0..<count where table.selectsAtReceive(m, port: source.index, vlan: vlan) {
                    copied |= 1 &<< UInt32(m)
                }
            }
            if send {
                copied |= sentSelection(decision.pointee, from: source.index, table: table, excluding: copied)
            }
            guard copied != 0 else { continue }
            let segments = burst.segments(ofFrame: n, scratch: s)
            let l2 = burst.l2(ofFrame: n, scratch: s)
            for m in 0..<count where copied & (1 &<< UInt32(m)) != 0 {
                copyToMirror(m, segments, header: s.headers + n, l2: l2, netHeader: s.netHeaders + n, from: source,
                             pair: burst.pair, decision: decision)
            }
        }
    }

    /// The mirrors (outside `excluding`) that select a port the switch sends this frame to: the
    /// unicast destination, or any target of the flood, computed as `forward` will (the port
    /// states do not change within a burst), so a flood reaching two selected ports is one copy.
    private func sentSelection(_ d: ForwardingDecision, from source: UInt16, table: MirrorTable,
                               excluding: UInt32) -> UInt32 {
        var selected: UInt32 = 0
        let count = table.count.pointee
        switch d.kind {
        case .drop:
            break
        case .unicast:
            for m in 0..<count where excluding & (1 &<< UInt32(m)) == 0 && table.selectsDestination(m, port: d.port) {
                selected |= 1 &<< UInt32(m)
            }
        case .flood:
            let targets = scratch.floodTargets
            let n = bridge.floodTargets(vlan: d.vlan, excluding: source, into: targets)
            for m in 0..<count where excluding & (1 &<< UInt32(m)) == 0 {
                for t in 0..<n where table.selectsDestination(m, port: targets[t]) {
                    selected |= 1 &<< UInt32(m)
                    break
                }
            }
        }
        return selected
    }

    /// A copy keeps the frame's VLAN identity, so only frames the switch placed in a VLAN are
    /// copied at the receive point: forwarded, flooded, or dropped after classification
    /// (link-local, MAC limit, same port, storm control...). Frames refused before (runts, bad
    /// tags, a VLAN the port does not carry) belong to no VLAN the copy could show.
    @inline(__always)
    static func isMirrorable(_ d: ForwardingDecision) -> Bool {
        d.vlan != 0 && d.vlan < 4095 && !(d.kind == .drop && d.reason == .vlanNotAllowed)
    }

    /// One copy to mirror `m`'s output, by its kind, counted on the mirror as copied or dropped.
    private func copyToMirror<Segment: ByteSegment>(_ m: Int, _ segments: UnsafeBufferPointer<Segment>,
                                                    header: UnsafePointer<FrameHeader>, l2: UnsafeRawPointer,
                                                    netHeader: UnsafePointer<VirtioNetHeader>, from source: FrameSource,
                                                    pair: Int, decision: UnsafePointer<ForwardingDecision>) {
        let table = mirrors
        let output = table.outputs[m]
        // A missing output counts its drop as `port-down` inside `deliver`, like any destination.
        let before = bridge.transmittedFrames(port: output)
        deliver(segments, header: header, l2: l2, netHeader: netHeader, from: source, pair: pair,
                to: output, decision: decision)
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
        var anyDestination = false
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
            for (names, bits, isSource) in [(spec.sourcePorts, table.sources, true),
                                             (spec.destinationPorts, table.destinations, false)] {
                for name in names {
                    guard let index = portIndex(named: name) else {
                        problems.append("mirror \(spec.name): no port named \(name)")
                        continue
                    }
                    MirrorTable.set(bits + m * words, Int(index))
                    if isSource { table.portFlags[Int(index)] |= MirrorTable.receiveSelected }
                    else { anyDestination = true }
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
        // Any port may send to a selected destination: every burst then looks at its decisions.
        for index in bridge.portIndices {
            if anyDestination { table.portFlags[Int(index)] |= MirrorTable.sendSelected }
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
