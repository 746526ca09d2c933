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
        case .fdbShow(let vlan, let port, let mac):
            if let vlan, !VLANSet.validRange.contains(vlan) { return .failure(FDBChangeError.refused(.invalidVLAN(vlan)).description) }
            var address: MACAddress?
            if let mac {
                guard let parsed = MACAddress(mac) else { return .failure(Daemon.notAMAC(mac)) }
                address = parsed
            }
            return withSnapshot(including: .fdbEntries) { snapshot in
                // A filter naming no port is a typo, not an empty table.
                if let port, snapshot.port(named: port) == nil {
                    return .failure(Daemon.noSuchPort(port, in: snapshot))
                }
                return .fdb(Daemon.fdbTable(snapshot, vlan: vlan, port: port, mac: address))
            }
        case .fdbAdd(let port, let vlan, let mac):
            guard let address = MACAddress(mac) else { return .failure(Daemon.notAMAC(mac)) }
            return reply(engine.addStaticFDBEntry(vlan: vlan, mac: address, port: port)) {
                "added static \(address) on VLAN \(vlan) → \(port)"
            }
        case .fdbDelete(let vlan, let mac):
            guard let address = MACAddress(mac) else { return .failure(Daemon.notAMAC(mac)) }
            return reply(engine.removeFDBEntry(vlan: vlan, mac: address)) { "deleted \(address) on VLAN \(vlan)" }
        case .fdbFlush(let port, let vlan):
            if let vlan, !VLANSet.validRange.contains(vlan) { return .failure(FDBChangeError.refused(.invalidVLAN(vlan)).description) }
            switch (port, vlan) {
            case (let p?, let v?):
                return reply(engine.flushFDB(.portInVLAN(port: p, vlan: v))) { "flushed \($0) entries of port \(p) in VLAN \(v)" }
            case (let p?, nil):
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
        case .mirrors:
            switch engine.perform({ $0.mirrorStatistics() }) {
            case .success(let mirrors):
                return .mirrors(mirrors.map {
                    MirrorStatus(name: $0.name, output: $0.output, active: $0.isActive, copied: $0.copied, dropped: $0.dropped)
                })
            case .failure(let e): return .failure("\(e)")
            }
        case .evpn:
            return .evpn(evpnMirrors?.statuses ?? [])
        case .reload:
            switch reload() {
            case .success(let summary): return .done(summary)
            case .failure(let why): return .failure("reload refused, previous config still running: \(why)")
            }
        case .capture:
            // Taken over as a stream before it gets here (Daemon+Capture.swift).
            return .failure("a capture needs a connection of its own")
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
        case .failure(.noSuchPort(let name)):
            // A fresh snapshot for the names (an error path: the copy costs nothing that matters).
            switch engine.snapshot() {
            case .success(let snapshot): return .failure(Daemon.noSuchPort(name, in: snapshot))
            case .failure: return .failure("\(FDBChangeError.noSuchPort(name))")
            }
        case .failure(let e): return .failure("\(e)")
        }
    }

    /// `no port named vm3 (ports: vm1, vm2)`.
    static func noSuchPort(_ name: String, in snapshot: EngineSnapshot) -> String {
        let names = snapshot.ports.map(\.name)
        return "\(FDBChangeError.noSuchPort(name)) (ports: \(names.isEmpty ? "none" : names.joined(separator: ", ")))"
    }

    static func notAMAC(_ text: String) -> String {
        "'\(text)' is not a MAC address: write six hex pairs, aa:bb:cc:dd:ee:ff"
    }
}
