import ControlProtocol
import Datapath
import SwitchCore

/// Answers `yardctl`. Everything that reads or changes the FDB, ports or counters runs on the
/// engine thread through `perform`, so the daemon never touches live datapath state.
extension Daemon {
    func handle(_ request: ControlRequest) -> ControlResponse {
        switch request {
        case .fdbShow(let vlan, let port):
            return onEngine { engine in .fdb(Daemon.fdbTable(engine, vlan: vlan, port: port)) }
        case .fdbAdd(let port, let vlan, let mac):
            guard let address = MACAddress(mac) else { return .failure("'\(mac)' is not a MAC address (aa:bb:cc:dd:ee:ff)") }
            return onEngine { engine in
                guard let index = engine.portIndex(named: port) else { return .failure("no port named \(port)") }
                do {
                    try engine.core.fdb.addStatic(vlan: vlan, mac: address, port: index, now: engine.nowSeconds)
                    return .done("added static \(address) on VLAN \(vlan) → \(port)")
                } catch {
                    return .failure("\(error)")
                }
            }
        case .fdbDelete(let vlan, let mac):
            guard let address = MACAddress(mac) else { return .failure("'\(mac)' is not a MAC address (aa:bb:cc:dd:ee:ff)") }
            return onEngine { engine in
                engine.core.fdb.remove(vlan: vlan, mac: address)
                    ? .done("deleted \(address) on VLAN \(vlan)")
                    : .failure("no entry for \(address) on VLAN \(vlan)")
            }
        case .fdbFlush(let port, let vlan):
            return onEngine { engine in
                switch (port, vlan) {
                case (let p?, _):
                    guard let index = engine.portIndex(named: p) else { return .failure("no port named \(p)") }
                    return .done("flushed \(engine.core.fdb.flush(port: index)) entries of port \(p)")
                case (nil, let v?):
                    return .done("flushed \(engine.core.fdb.flush(vlan: v)) entries of VLAN \(v)")
                case (nil, nil):
                    return .done("flushed \(engine.core.fdb.flushAll()) entries")
                }
            }
        case .fdbStats:
            return onEngine { engine in .fdbStats(Daemon.fdbStatistics(engine)) }
        case .ports:
            return onEngine { engine in .ports(Daemon.portStatuses(engine)) }
        case .stats:
            return onEngine { engine in
                let ports = Daemon.portStatuses(engine)
                var totals = ControlProtocol.PortCounters()
                for p in ports {
                    totals.rxFrames += p.counters.rxFrames
                    totals.rxBytes += p.counters.rxBytes
                    totals.txFrames += p.counters.txFrames
                    totals.txBytes += p.counters.txBytes
                    totals.drops.merge(p.counters.drops, uniquingKeysWith: +)
                }
                let l = engine.loopCounters
                let datapath = DatapathStatistics(turns: l.turns, busyTurns: l.busyTurns, frames: l.frames,
                                                  bursts: l.bursts, backloggedBursts: l.backloggedBursts,
                                                  burstLimit: l.burstLimit, sleeps: l.sleeps,
                                                  spinWindowNanoseconds: l.spinWindowNanoseconds)
                return .stats(SwitchStatistics(uptimeSeconds: engine.uptimeSeconds, ports: ports.count,
                                               totals: totals, fdb: Daemon.fdbStatistics(engine),
                                               datapath: datapath))
            }
        case .reload:
            switch reload() {
            case .success(let summary): return .done(summary)
            case .failure(let why): return .failure("reload refused, previous config still running: \(why)")
            }
        }
    }

    private func onEngine(_ body: @escaping (Engine) -> ControlResponse) -> ControlResponse {
        switch engine.perform(body) {
        case .success(let r): return r
        case .failure(let e): return .failure("\(e)")
        }
    }

    static func fdbTable(_ engine: Engine, vlan: UInt16?, port: String?) -> FDBTable {
        let names = Dictionary(engine.portRuntime().map { ($0.index, $0.spec.name) }, uniquingKeysWith: { a, _ in a })
        let portFilter = port.flatMap { engine.portIndex(named: $0) }
        let entries = engine.core.fdb.entries(now: engine.nowSeconds)
            .filter { e in (vlan == nil || e.vlan == vlan) && (port == nil || e.port == portFilter) }
            .sorted { ($0.vlan, $0.mac) < ($1.vlan, $1.mac) }
            .map { e -> FDBEntryInfo in
                var age: UInt32?
                if case .dynamic(let s) = e.age { age = s }
                return FDBEntryInfo(port: names[e.port] ?? "#\(e.port)", vlan: e.vlan, mac: e.mac.description,
                                    ageSeconds: age, isStatic: e.isStatic)
            }
        let s = engine.core.fdb.statistics
        return FDBTable(entries: entries, total: s.totalEntries, learned: s.dynamicEntries,
                        staticCount: s.staticEntries, capacity: s.capacity)
    }

    static func fdbStatistics(_ engine: Engine) -> ControlProtocol.FDBStatistics {
        let s = engine.core.fdb.statistics
        return ControlProtocol.FDBStatistics(
            total: s.totalEntries, learned: s.dynamicEntries, staticCount: s.staticEntries, capacity: s.capacity,
            agingSeconds: engine.core.fdb.agingTime, learnedEvents: s.learned, moves: s.moved,
            expired: s.expired, evicted: s.evicted)
    }

    static func portStatuses(_ engine: Engine) -> [PortStatus] {
        engine.portRuntime().map { rt in
            let snapshot = engine.core.snapshot(port: rt.index)
            var counters = ControlProtocol.PortCounters()
            if let c = snapshot?.counters {
                // Guest's view: rx = what the port received from its guest, tx = what it sent to it.
                counters = ControlProtocol.PortCounters(
                    rxFrames: c.receivedFrames, rxBytes: c.receivedBytes,
                    txFrames: c.transmittedFrames, txBytes: c.transmittedBytes,
                    drops: dropMap(c))
            }
            let type: String
            let endpoint: String
            var queues = 1
            switch rt.spec.kind {
            case .vhostUser(let path, let mode, let pairs):
                type = "vhost-user"
                endpoint = "\(path) (\(mode.rawValue))"
                queues = pairs
            case .uplink(let interface):
                type = "uplink"
                endpoint = interface
                queues = 0
            case .tap(let interface):
                type = "tap"
                endpoint = interface
                queues = 0
            }
            var status = PortStatus(name: rt.spec.name, type: type, state: rt.state, reason: rt.reason, vlanMode: rt.spec.vlan.summary,
                              endpoint: endpoint, macCount: snapshot?.fdbEntries ?? 0, features: rt.features,
                              queues: queues, enabledQueues: rt.enabledQueuePairs, mtu: rt.mtu,
                              counters: counters, faults: rt.faults)
            if type == "vhost-user" { status.refusedConnections = rt.refusedConnections }
            return status
        }
    }

    private static func dropMap(_ c: SwitchCore.PortCounters) -> [String: UInt64] {
        var drops: [String: UInt64] = [:]
        for reason in DropReason.allCases {
            let n = c.receiveDrops(reason) + c.transmitDrops(reason)
            if n > 0 { drops[reason.name] = n }
        }
        return drops
    }
}
