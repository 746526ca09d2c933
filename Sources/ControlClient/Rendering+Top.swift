import ControlProtocol

/// `yardctl top`'s text: a header, one row per port, then the drops of the interval by reason.
extension Rendering {
    /// ```
    /// switchyard: up 67 s, 3 ports, fdb 2 of 8192, datapath busy 1.3 %, rates over 1.00 s
    /// port  state    rx frames/s  rx bits/s  tx frames/s  tx bits/s  drops/s
    /// g1    running         1032      8.26M          998      7.98M        0
    /// drops/s: g1 rx-ring-full 120, mac-limit 3
    /// ```
    /// `-` where a port has no rate yet (new, or re-added by a reload).
    public static func top(_ frame: TopFrame) -> String {
        let busy = frame.datapathBusyPercent.map { "\(tenths(UInt64(($0 * 1000).rounded()), per: 1000)) %" } ?? "-"
        var out = "switchyard: up \(frame.uptimeSeconds) s, \(frame.ports.count) port\(frame.ports.count == 1 ? "" : "s"), "
            + "fdb \(frame.fdbEntries) of \(frame.fdbCapacity), datapath busy \(busy), "
            + "rates over \(hundredths(frame.intervalSeconds)) s\n"
        var t = TextTable(headers: ["port", "state", "rx frames/s", "rx bits/s", "tx frames/s", "tx bits/s", "drops/s"],
                          alignments: [.left, .left, .right, .right, .right, .right, .right])
        var drops: [String] = []
        for row in frame.ports {
            guard let r = row.rates else {
                t.append([row.name, row.state, "-", "-", "-", "-", "-"])
                continue
            }
            t.append([row.name, row.state, whole(r.rxFramesPerSecond), si(r.rxBitsPerSecond),
                      whole(r.txFramesPerSecond), si(r.txBitsPerSecond), whole(r.totalDropsPerSecond)])
            if !r.dropsPerSecond.isEmpty {
                drops.append("\(row.name) " + r.dropsPerSecond.sorted { $0.key < $1.key }
                    .map { "\($0.key) \(whole($0.value))" }.joined(separator: ", "))
            }
        }
        out += t.render()
        out += "\ndrops/s: " + (drops.isEmpty ? "none" : drops.joined(separator: "; "))
        return out
    }

    /// A rate rounded to a whole number.
    static func whole(_ value: Double) -> String {
        value.isFinite && value > 0 ? String(UInt64(value.rounded())) : "0"
    }

    /// Seconds with two decimals, without Foundation.
    static func hundredths(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0.00" }
        let h = UInt64((value * 100).rounded())
        let fraction = h % 100
        return "\(h / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Three significant digits with an SI prefix, as network tools print bit rates:
    /// `950`, `8.26k`, `82.6M`, `826M`, `1.00G`.
    static func si(_ value: Double) -> String {
        guard value.isFinite, value >= 0.5 else { return "0" }
        guard value >= 999.5 else { return String(UInt64(value.rounded())) }
        var scaled = value
        var prefix = 0
        let prefixes = ["", "k", "M", "G", "T", "P"]
        while scaled >= 999.5 && prefix < prefixes.count - 1 {
            scaled /= 1000
            prefix += 1
        }
        // Three significant digits: 1.23, 12.3, 123.
        let decimals = scaled < 9.995 ? 2 : scaled < 99.95 ? 1 : 0
        var factor: Double = 1
        for _ in 0..<decimals { factor *= 10 }
        let n = UInt64((scaled * factor).rounded())
        let integer = n / UInt64(factor)
        var text = String(integer)
        if decimals > 0 {
            var fraction = String(n % UInt64(factor))
            while fraction.count < decimals { fraction = "0" + fraction }
            text += "." + fraction
        }
        return text + prefixes[prefix]
    }
}
