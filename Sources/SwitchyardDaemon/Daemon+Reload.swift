import Datapath
import SwitchConfig

/// SIGHUP and `yardctl reload`: re-read the file; a bad file changes nothing. Ports that did not
/// change keep their connection, rings and FDB entries; changed ports are re-created.
extension Daemon {
    func reload() -> Result<String, ReloadFailure> {
        SystemdNotifier.shared.reloading()
        defer { SystemdNotifier.shared.ready(status: "\(configuration.ports.count) ports configured, control \(configuration.settings.controlSocket)") }
        let new: SwitchConfiguration
        do { new = try SwitchConfiguration.load(path: configPath) } catch {
            return .failure(ReloadFailure(error.description))
        }
        let diff = ConfigurationDiff.diff(old: configuration, new: new)
        var problems: [String] = []
        let applied = engine.perform { engine -> [String] in
            var problems: [String] = []
            for port in diff.removed {
                if case .failure(let e) = engine.removePort(named: port.name) { problems.append("\(e)") }
            }
            for change in diff.changed {
                if case .failure(let e) = engine.removePort(named: change.old.name) { problems.append("\(e)") }
                if case .failure(let e) = engine.addPort(change.new.specification) { problems.append("\(e)") }
            }
            for port in diff.added {
                if case .failure(let e) = engine.addPort(port.specification) { problems.append("\(e)") }
            }
            return problems
        }
        switch applied {
        case .success(let p): problems = p
        case .failure(let e): return .failure(ReloadFailure("\(e)"))
        }
        if case .failure(let e) = engine.setFDBAgingTime(seconds: UInt32(clamping: new.settings.fdb.agingSeconds)) {
            problems.append("FDB aging: \(e)")
        }
        configuration = new
        if diff.settingsChanged {
            logger.notice("switch settings other than FDB aging take effect at the next restart")
        }
        var summary = "reloaded \(configPath): \(diff.added.count) added, \(diff.removed.count) removed, " +
            "\(diff.changed.count) changed, \(diff.unchanged.count) unchanged"
        if !problems.isEmpty { summary += "; problems: " + problems.joined(separator: "; ") }
        return .success(summary)
    }

    func addPort(_ port: PortConfiguration) -> Result<Void, EngineError> {
        switch engine.perform({ $0.addPort(port.specification) }) {
        case .success(let r): return r
        case .failure(let e): return .failure(e)
        }
    }
}

struct ReloadFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
