import ControlProtocol
import Datapath
import SwitchCore

/// Engine snapshots as `yardctl` replies: the filtering, sorting, naming and formatting that used
/// to run on the forwarding thread, now on the daemon's (docs/engine-snapshots.md).
extension Daemon {
    /// Entries matching every filter given. The caller has refused a port name that does not
    /// exist (Daemon+Control.swift); here such a name matches no entry.
    static func fdbTable(_ snapshot: EngineSnapshot, vlan: UInt16?, port: String?, mac: MACAddress? = nil) -> FDBTable {
        var names: [UInt16: String] = [:]
        for p in snapshot.ports where names[p.index] == nil { names[p.index] = p.name }
        let portFilter = port.flatMap { snapshot.port(named: $0)?.index }
        var vteps: [VxlanRemoteKey: String] = [:]
        for r in snapshot.vxlanRemotes ?? [] { vteps[VxlanRemoteKey(port: r.port, mac: r.mac)] = r.vtep }
        let entries = (snapshot.fdbEntries ?? [])
            .filter { e in
                (vlan == nil || e.vlan == vlan) && (port == nil || e.port == portFilter) && (mac == nil || e.mac == mac)
            }
            .sorted { ($0.vlan, $0.mac) < ($1.vlan, $1.mac) }
            .map { e -> FDBEntryInfo in
                var age: UInt32?
                if case .dynamic(let s) = e.age { age = s }
                return FDBEntryInfo(port: names[e.port] ?? "#\(e.port)", vlan: e.vlan, mac: e.mac.description,
                                    ageSeconds: age, isStatic: e.isStatic,
                                    vtep: vteps[VxlanRemoteKey(port: e.port, mac: e.mac)])
            }
        let s = snapshot.fdb
        return FDBTable(entries: entries, total: s.totalEntries, learned: s.dynamicEntries,
                        staticCount: s.staticEntries, capacity: s.capacity)
    }

    static func fdbSummary(_ snapshot: EngineSnapshot) -> FDBSummary {
        let s = snapshot.fdb
        return FDBSummary(
            total: s.totalEntries, learned: s.dynamicEntries, staticCount: s.staticEntries, capacity: s.capacity,
            agingSeconds: snapshot.fdbAgingSeconds, learnedEvents: s.learned, moves: s.moved,
            expired: s.expired, evicted: s.evicted)
    }

    static func portStatuses(_ snapshot: EngineSnapshot) -> [PortStatus] {
        snapshot.ports.map { port in
            let rt = port.runtime
            let c = port.counters
            // Guest's view: rx = what the port received from its guest, tx = what it sent to it.
            let counters = TrafficCounters(rxFrames: c.receivedFrames, rxBytes: c.receivedBytes,
                                           txFrames: c.transmittedFrames, txBytes: c.transmittedBytes,
                                           drops: dropMap(c))
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
            case .vxlan(let settings):
                type = "vxlan"
                endpoint = "VNI \(settings.vni) \(settings.local):\(settings.udpPort)"
                queues = 0
            }
            var status = PortStatus(name: rt.spec.name, type: type, state: rt.state.description, reason: rt.reason,
                                    vlanMode: rt.spec.vlan.summary, endpoint: endpoint, macCount: port.fdbEntryCount,
                                    features: rt.features, queues: queues, enabledQueues: rt.enabledQueuePairs,
                                    mtu: rt.mtu, counters: counters, faults: rt.faults)
            if type == "vhost-user" {
                status.refusedConnections = rt.refusedConnections
                status.memoryRegions = rt.memoryRegions.map {
                    MemoryRegionStatus(guestPhysicalAddress: $0.guestPhysicalAddress, size: $0.size,
                                       receiveBuffers: $0.receiveBuffers)
                }
            }
            status.monotonicNanoseconds = snapshot.monotonicNanoseconds
            return status
        }
    }

    static func switchStatistics(_ snapshot: EngineSnapshot) -> SwitchStatistics {
        let ports = portStatuses(snapshot)
        var totals = TrafficCounters()
        for p in ports {
            totals.rxFrames += p.counters.rxFrames
            totals.rxBytes += p.counters.rxBytes
            totals.txFrames += p.counters.txFrames
            totals.txBytes += p.counters.txBytes
            totals.drops.merge(p.counters.drops, uniquingKeysWith: +)
        }
        let l = snapshot.loop
        let datapath = DatapathStatistics(turns: l.turns, busyTurns: l.busyTurns, frames: l.frames,
                                          bursts: l.bursts, backloggedBursts: l.backloggedBursts,
                                          burstLimit: l.burstLimit, sleeps: l.sleeps,
                                          spinWindowNanoseconds: l.spinWindowNanoseconds)
        var statistics = SwitchStatistics(uptimeSeconds: snapshot.uptimeSeconds, ports: ports.count, totals: totals,
                                          fdb: fdbSummary(snapshot), datapath: datapath)
        statistics.monotonicNanoseconds = snapshot.monotonicNanoseconds
        return statistics
    }

    private static func dropMap(_ c: PortCounters) -> [String: UInt64] {
        var drops: [String: UInt64] = [:]
        for reason in DropReason.allCases {
            let n = c.receiveDrops(reason) + c.transmitDrops(reason)
            if n > 0 { drops[reason.name] = n }
        }
        return drops
    }
}

/// A vxlan port's learned remote, keyed as the FDB entry it annotates.
private struct VxlanRemoteKey: Hashable {
    let port: UInt16
    let mac: MACAddress
}
