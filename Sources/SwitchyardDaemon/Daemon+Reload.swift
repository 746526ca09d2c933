import Datapath
import SwitchConfig

/// SIGHUP and `yardctl reload`: re-read the file; a bad file changes nothing. Ports that did not
/// change keep their connection, rings and FDB entries; changed ports take the change in place
/// (VLANs, MAC limit, security, MTU, limits, static MACs), and only a change of what they are or
/// where they connect re-creates them (docs/reload.md).
extension Daemon {
    func reload() -> Result<String, ReloadFailure> {
        SystemdNotifier.shared.reloading()
        defer { SystemdNotifier.shared.ready(status: "\(configuration.ports.count) ports configured, control \(configuration.settings.controlSocket)") }
        let new: SwitchConfiguration
        do { new = try SwitchConfiguration.load(path: configPath) } catch {
            return .failure(ReloadFailure(error.description))
        }
        let diff = ConfigurationDiff.diff(old: configuration, new: new)
        let mirrors = new.mirrors.map(\.specification)
        let mirrorsChanged = new.mirrors != configuration.mirrors
        let applied = engine.perform { engine in
            var report = Self.apply(diff, to: engine)
            // Last, once the ports are in place: mirrors are resolved to the ports' indices, which
            // a re-created port may change (docs/mirroring.md).
            report.problems += engine.setMirrors(mirrors)
            return report
        }
        var report: ReloadReport
        switch applied {
        case .success(let r): report = r
        case .failure(let e): return .failure(ReloadFailure("\(e)"))
        }
        if case .failure(let e) = engine.setFDBAgingTime(seconds: UInt32(clamping: new.settings.fdb.agingSeconds)) {
            report.problems.append("FDB aging: \(e)")
        }
        if mirrorsChanged { report.mirrors = "mirrors: " + (new.mirrors.isEmpty ? "none" : new.mirrors.map(\.name).joined(separator: ", ")) }
        // The mirrors are read at start only (docs/evpn-mirror.md).
        if new.evpn != configuration.evpn { logger.notice("evpn: changes take effect at the next restart") }
        configuration = new
        if diff.settingsChanged {
            logger.notice("switch settings other than FDB aging take effect at the next restart")
        }
        return .success(report.summary(path: configPath, diff: diff))
    }

    /// On the engine thread, in one step between bursts: removed ports first (their names and
    /// static MACs become free), then changed ones in the new file's order, then added ones; last,
    /// every unchanged port's static MACs are put back where they went missing. A static MAC that
    /// moves between ports is taken by its new port whichever is handled first (docs/reload.md).
    private static func apply(_ diff: ConfigurationDiff, to engine: Engine) -> ReloadReport {
        var report = ReloadReport()
        for port in diff.removed {
            if case .failure(let e) = engine.removePort(named: port.name) { report.problems.append("\(e)") }
        }
        for change in diff.changed {
            let keys = change.keys.joined(separator: ", ")
            if change.isInPlace {
                switch engine.updatePort(change.new.specification) {
                case .success(let update):
                    report.inPlace.append("\(change.new.name) (\(keys)\(update.summary))")
                    report.problems += update.problems
                case .failure(let e):
                    report.problems.append("\(e)")
                }
            } else {
                switch engine.recreatePort(change.new.specification) {
                case .success(let carried):
                    let kept = carried == 0 ? "" : "; \(carried) static \(carried == 1 ? "entry" : "entries") added at run time kept"
                    report.recreated.append("\(change.new.name) (\(keys)\(kept))")
                case .failure(let e):
                    report.problems.append("\(e)")
                }
            }
        }
        for port in diff.added {
            if case .failure(let e) = engine.addPort(port.specification) { report.problems.append("\(e)") }
        }
        for port in diff.unchanged where !port.staticMACs.isEmpty {
            switch engine.reassertStaticMACs(port: port.name) {
            case .success(let update):
                if update.staticMACsInstalled > 0 {
                    report.reasserted.append("\(port.name) (\(update.staticMACsInstalled) static MACs put back)")
                }
                report.problems += update.problems
            case .failure(let e):
                report.problems.append("\(e)")
            }
        }
        return report
    }

    func addPort(_ port: PortConfiguration) -> Result<Void, EngineError> {
        switch engine.perform({ $0.addPort(port.specification) }) {
        case .success(let r): return r
        case .failure(let e): return .failure(e)
        }
    }
}

/// What a reload did, port by port, for `yardctl reload` and the SIGHUP log line.
struct ReloadReport: Sendable {
    var inPlace: [String] = []
    var recreated: [String] = []
    var reasserted: [String] = []
    var problems: [String] = []
    /// Set when the mirrors changed: what is configured now.
    var mirrors: String?

    func summary(path: String, diff: ConfigurationDiff) -> String {
        var lines = ["reloaded \(path): \(diff.added.count) added, \(diff.removed.count) removed, "
            + "\(diff.changed.count) changed (\(diff.changedInPlace.count) in place, "
            + "\(diff.changedByRecreation.count) re-created), \(diff.unchanged.count) unchanged"]
        if !inPlace.isEmpty { lines.append("changed in place, connection kept: " + inPlace.joined(separator: "; ")) }
        if !recreated.isEmpty { lines.append("re-created, guest reconnects: " + recreated.joined(separator: "; ")) }
        if !reasserted.isEmpty { lines.append("unchanged: " + reasserted.joined(separator: "; ")) }
        if let mirrors { lines.append(mirrors) }
        if !problems.isEmpty { lines.append("problems: " + problems.joined(separator: "; ")) }
        return lines.joined(separator: "\n")
    }
}

extension PortUpdate {
    /// `; 3 FDB entries flushed, 1 static MAC installed`, or nothing when the FDB was not touched.
    var summary: String {
        var parts: [String] = []
        if flushedEntries > 0 { parts.append("\(flushedEntries) FDB \(flushedEntries == 1 ? "entry" : "entries") flushed") }
        if staticMACsInstalled > 0 { parts.append("\(staticMACsInstalled) static MAC\(staticMACsInstalled == 1 ? "" : "s") installed") }
        if staticMACsRemoved > 0 { parts.append("\(staticMACsRemoved) static MAC\(staticMACsRemoved == 1 ? "" : "s") removed") }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")
    }
}

struct ReloadFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
