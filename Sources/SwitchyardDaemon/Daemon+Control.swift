import ControlProtocol
import Datapath
import SwitchCore

/// Answers `yardctl`. Reads come from an engine snapshot taken for the request (so a static entry
/// added a moment ago shows) and are filtered, sorted and formatted here, on the daemon's thread
/// (Daemon+Reports.swift); changes go through the engine's FDB façade. Either way the engine
/// thread only copies or applies, between bursts (docs/engine-snapshots.md).
extension Daemon {
    func handle(_ request: ControlRequest) -> ControlResponse {
        switch request {
        case .fdbShow(let vlan, let port):
            return withSnapshot(including: .fdbEntries) { .fdb(Daemon.fdbTable($0, vlan: vlan, port: port)) }
        case .fdbAdd(let port, let vlan, let mac):
            guard let address = MACAddress(mac) else { return .failure("'\(mac)' is not a MAC address (aa:bb:cc:dd:ee:ff)") }
            return reply(engine.addStaticFDBEntry(vlan: vlan, mac: address, port: port)) {
                "added static \(address) on VLAN \(vlan) → \(port)"
            }
        case .fdbDelete(let vlan, let mac):
            guard let address = MACAddress(mac) else { return .failure("'\(mac)' is not a MAC address (aa:bb:cc:dd:ee:ff)") }
            return reply(engine.removeFDBEntry(vlan: vlan, mac: address)) { "deleted \(address) on VLAN \(vlan)" }
        case .fdbFlush(let port, let vlan):
            switch (port, vlan) {
            case (let p?, _):
                return reply(engine.flushFDB(.port(p))) { "flushed \($0) entries of port \(p)" }
            case (nil, let v?):
                return reply(engine.flushFDB(.vlan(v))) { "flushed \($0) entries of VLAN \(v)" }
            case (nil, nil):
                return reply(engine.flushFDB(.all)) { "flushed \($0) entries" }
            }
        case .fdbStats:
            return withSnapshot { .fdbStats(Daemon.fdbSummary($0)) }
        case .ports:
            return withSnapshot { .ports(Daemon.portStatuses($0)) }
        case .stats:
            return withSnapshot { .stats(Daemon.switchStatistics($0)) }
        case .reload:
            switch reload() {
            case .success(let summary): return .done(summary)
            case .failure(let why): return .failure("reload refused, previous config still running: \(why)")
            }
        }
    }

    /// A fresh snapshot (not the last periodic one): replies reflect every change made before.
    private func withSnapshot(including contents: EngineSnapshot.Contents = [],
                              _ body: (EngineSnapshot) -> ControlResponse) -> ControlResponse {
        switch engine.snapshot(including: contents) {
        case .success(let snapshot): return body(snapshot)
        case .failure(let e): return .failure("\(e)")
        }
    }

    private func reply<T>(_ result: Result<T, FDBChangeError>, _ message: (T) -> String) -> ControlResponse {
        switch result {
        case .success(let value): return .done(message(value))
        case .failure(let e): return .failure("\(e)")
        }
    }
}
