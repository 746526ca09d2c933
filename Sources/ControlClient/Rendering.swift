import ControlProtocol

/// Plain-text views of control replies for `yardctl`.
public enum Rendering {
    public static func fdb(_ table: FDBTable) -> String {
        // The VTEP column only when some entry sits behind a vxlan port (docs/vxlan-ports.md).
        let tunnels = table.entries.contains { $0.vtep != nil }
        var t = TextTable(headers: ["port", "VLAN", "MAC", "Age"] + (tunnels ? ["VTEP"] : []),
                          alignments: [.left, .right, .left, .right] + (tunnels ? [.left] : []))
        for e in table.entries {
            let row = [e.port, String(e.vlan), e.mac, e.isStatic ? "static" : String(e.ageSeconds ?? 0)]
            t.append(row + (tunnels ? [e.vtep ?? "-"] : []))
        }
        return t.render() + "\n" +
            "total \(table.total) (learned \(table.learned), static \(table.staticCount)), capacity \(table.capacity)"
    }

    public static func fdbStats(_ s: FDBSummary) -> String {
        """
        entries:   \(s.total) of \(s.capacity) (learned \(s.learned), static \(s.staticCount))
        aging:     \(s.agingSeconds == 0 ? "never" : "\(s.agingSeconds) s")
        learned:   \(s.learnedEvents)
        moved:     \(s.moves)
        expired:   \(s.expired)
        evicted:   \(s.evicted)
        """
    }

    public static func ports(_ ports: [PortStatus]) -> String {
        var t = TextTable(
            headers: ["name", "type", "state", "vlan", "macs", "queues", "rx-frames", "tx-frames", "drops", "endpoint"],
            alignments: [.left, .left, .left, .left, .right, .right, .right, .right, .right, .left])
        for p in ports {
            t.append([p.name, p.type, p.state, p.vlanMode, String(p.macCount), p.queues == 0 ? "-" : "\(p.enabledQueues)/\(p.queues)",
                      String(p.counters.rxFrames), String(p.counters.txFrames), String(p.counters.totalDrops),
                      p.endpoint])
        }
        var out = t.render()
        for p in ports where !p.features.isEmpty || !p.counters.drops.isEmpty || p.reason != nil || (p.faults ?? 0) > 0 {
            out += "\n\n\(p.name):"
            if let reason = p.reason { out += "\n  \(p.state): \(reason)" }
            // Times its front-end broke it (docs/port-faults.md).
            if let faults = p.faults, faults > 0 { out += "\n  faults: \(faults)" }
            if !p.features.isEmpty { out += "\n  features: " + p.features.joined(separator: " ") }
            out += "\n  rx \(p.counters.rxFrames) frames \(p.counters.rxBytes) bytes, tx \(p.counters.txFrames) frames \(p.counters.txBytes) bytes"
            for (reason, n) in p.counters.drops.sorted(by: { $0.key < $1.key }) { out += "\n  drop \(reason): \(n)" }
        }
        return out
    }

    /// `yardctl mirrors`: one row per mirror.
    public static func mirrors(_ mirrors: [MirrorStatus]) -> String {
        guard !mirrors.isEmpty else { return "no mirrors configured" }
        var t = TextTable(headers: ["mirror", "output", "state", "copied", "dropped"],
                          alignments: [.left, .left, .left, .right, .right])
        for m in mirrors {
            t.append([m.name, m.output, m.active ? "active" : "inactive (no such port)", "\(m.copied)", "\(m.dropped)"])
        }
        return t.render()
    }

    /// `yardctl evpn`: per VNI, the remote MACs with their VTEP, the flood list, the advertised MACs.
    public static func evpn(_ mirrors: [EVPNStatus]) -> String {
        guard !mirrors.isEmpty else { return "no evpn mirrors configured" }
        return mirrors.map { m in
            var out = "VNI \(m.vni) (VLAN \(m.vlan)): bridge \(m.bridge), vxlan \(m.vxlan), port \(m.port)"
            if let problem = m.problem { out += "\n  problem: \(problem)" }
            out += "\n  flood list: " + (m.floodList.isEmpty ? "none" : m.floodList.joined(separator: " "))
            var t = TextTable(headers: ["MAC", "where"], alignments: [.left, .left])
            for r in m.remoteMACs { t.append([r.mac, "remote \(r.vtep)"]) }
            for a in m.advertised { t.append([a, "local (advertised)"]) }
            out += "\n" + t.render().split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
            out += "\n  remote \(m.remoteMACs.count), advertised \(m.advertised.count)"
            return out
        }.joined(separator: "\n\n")
    }

    public static func stats(_ s: SwitchStatistics) -> String {
        var out = """
        uptime:    \(s.uptimeSeconds) s
        ports:     \(s.ports)
        rx:        \(s.totals.rxFrames) frames, \(s.totals.rxBytes) bytes
        tx:        \(s.totals.txFrames) frames, \(s.totals.txBytes) bytes
        """
        for (reason, n) in s.totals.drops.sorted(by: { $0.key < $1.key }) { out += "\ndrop \(reason): \(n)" }
        out += "\nfdb:       \(s.fdb.total) entries of \(s.fdb.capacity), \(s.fdb.moves) moves, \(s.fdb.evicted) evicted, \(s.fdb.expired) expired"
        out += "\n" + datapath(s.datapath)
        return out
    }

    /// `datapath:  T turns, B busy (x %), f frames per busy turn, b bursts of up to N (p % left a backlog),
    /// s sleeps after spinning w µs`
    public static func datapath(_ d: DatapathStatistics) -> String {
        "datapath:  \(d.turns) turns, \(d.busyTurns) busy (\(tenths(100 * d.busyTurns, per: d.turns)) %), "
            + "\(tenths(d.frames, per: d.busyTurns)) frames per busy turn, "
            + "\(d.bursts) bursts of up to \(d.burstLimit) (\(tenths(100 * d.backloggedBursts, per: d.bursts)) % left a backlog), "
            + "\(d.sleeps) sleeps after spinning \(tenths(d.spinWindowNanoseconds, per: 1000)) µs"
    }

    /// `value / whole` rounded to one decimal ("0.0" when `whole` is 0), without Foundation.
    static func tenths(_ value: UInt64, per whole: UInt64) -> String {
        guard whole > 0 else { return "0.0" }
        let t = (value.multipliedReportingOverflow(by: 10).partialValue + whole / 2) / whole
        return "\(t / 10).\(t % 10)"
    }
}
