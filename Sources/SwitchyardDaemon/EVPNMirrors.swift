#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Datapath
import EVPNMirror
import LinkControl
import LinuxIO
import Logging
import SwitchConfig
import SwitchCore

/// The daemon's EVPN mirrors (docs/evpn-mirror.md): one notification socket for every VNI's FDB,
/// one request socket for dumps and writes, and the followed state per VNI. Runs on the daemon's
/// thread; the engine is only read through its FDB snapshots.
final class EVPNMirrors {
    private struct Mirror {
        let configuration: EVPNMirrorConfiguration
        var state: EVPNMirrorState
        var problem: String?
        /// The last problem logged: a condition retried every second is logged once.
        var logged: String?
    }

    private let monitor: BridgeFDBMonitor
    private let netlink: BridgeFDBNetlink
    private var mirrors: [Mirror]
    private let logger: Logger
    private var nextTick: UInt64 = 0
    /// The last dump failed: read the table again at the next tick.
    private var dumpFailed = false
    /// The last failure to apply routes to a vxlan port (logged once, not every second).
    private var lastFeedError: String?
    static let tickNanoseconds: UInt64 = 1_000_000_000

    init(_ configurations: [EVPNMirrorConfiguration], logger: Logger) throws(NetlinkError) {
        // Subscribed before the first dump, so nothing that changes in between is missed (a
        // notification repeating what the dump said applies as a no-op).
        monitor = try BridgeFDBMonitor()
        netlink = try BridgeFDBNetlink()
        mirrors = configurations.map { Mirror(configuration: $0, state: EVPNMirrorState(vni: $0.vni, vlan: $0.vlan)) }
        self.logger = logger
        resync()
    }

    var fileDescriptor: Int32 { monitor.fileDescriptor }

    /// The followed state, one snapshot per VNI in configuration order: what the vxlan port
    /// (issue #13 item 2) is to be fed from.
    var snapshots: [EVPNMirrorSnapshot] { mirrors.map(\.state.snapshot) }

    /// The notification socket is readable.
    func eventsReady() {
        let messages = monitor.drain()
        if monitor.needsResync {
            monitor.needsResync = false
            logger.warning("evpn: FDB notifications were lost (ENOBUFS); reading the table again")
            resync()
            return
        }
        for message in messages {
            for i in mirrors.indices { mirrors[i].state.apply(message) }
        }
    }

    /// Resolves the devices and reads the whole bridge FDB again.
    private func resync() {
        for i in mirrors.indices {
            let c = mirrors[i].configuration
            mirrors[i].state.vxlanIndex = Int32(bitPattern: if_nametoindex(c.vxlan))
            mirrors[i].state.portIndex = Int32(bitPattern: if_nametoindex(c.port))
            mirrors[i].state.reset()
            let names: [String] = [c.vxlan, c.port]
            let missing = names.filter { if_nametoindex($0) == 0 }
            report(missing.isEmpty ? nil : "no interface \(missing.joined(separator: ", ")) (retried every second)", for: i)
        }
        do {
            let entries = try netlink.dump()
            dumpFailed = false
            for message in entries { for i in mirrors.indices { mirrors[i].state.apply(message) } }
        } catch {
            dumpFailed = true
            for i in mirrors.indices { report("bridge FDB dump: \(error)", for: i) }
        }
    }

    /// Milliseconds to the next once-a-second reconciliation (for epoll_wait).
    var millisecondsToNextTick: Int32 {
        let now = MonotonicClock.nanoseconds()
        return nextTick <= now ? 0 : Int32((nextTick - now + 999_999) / 1_000_000)
    }

    /// Once a second: the MACs the switch has in each VNI's VLAN, on ports other than the ones
    /// facing the fabric, written into the mirror bridge as static entries; the ones gone removed.
    func tickIfDue(_ engine: Engine) {
        let now = MonotonicClock.nanoseconds()
        guard now >= nextTick else { return }
        nextTick = now + Self.tickNanoseconds
        // A device missing, or deleted and made again under a new index (mirror-setup.sh down/up
        // while the switch runs): resolve the names and read a fresh table.
        let moved = mirrors.contains {
            $0.state.vxlanIndex == 0 || $0.state.portIndex == 0
                || Int32(bitPattern: if_nametoindex($0.configuration.vxlan)) != $0.state.vxlanIndex
                || Int32(bitPattern: if_nametoindex($0.configuration.port)) != $0.state.portIndex
        }
        if dumpFailed || moved { resync() }
        guard case .success(let snapshot) = engine.snapshot(including: .fdbEntries) else { return }
        feedVxlanPorts(engine, specs: snapshot.ports.map(\.runtime.spec))
        let fabricPorts = Set(snapshot.ports.filter { Self.facesFabric($0.runtime.spec) }.map(\.index))
        var wanted: [UInt16: Set<MACAddress>] = [:]
        for e in snapshot.fdbEntries ?? [] where !fabricPorts.contains(e.port) { wanted[e.vlan, default: []].insert(e.mac) }
        for i in mirrors.indices where mirrors[i].state.portIndex != 0 {
            let diff = LocalMACDiff(wanted: wanted[mirrors[i].configuration.vlan] ?? [],
                                    advertised: mirrors[i].state.advertisedMACs)
            guard !diff.isEmpty else { continue }
            apply(diff, to: i)
        }
    }

    private func apply(_ diff: LocalMACDiff, to i: Int) {
        let port = mirrors[i].state.portIndex
        let c = mirrors[i].configuration
        // The kernel's notifications of these writes update `advertised` (eventsReady): what is
        // shown is what the bridge holds, and a write that failed is tried again next second.
        var failure: String?
        for mac in diff.add {
            do { try netlink.addStatic(mac, portIndex: port) } catch {
                failure = failure ?? "add \(mac) on \(c.port): \(error)"
            }
        }
        for mac in diff.remove {
            do { try netlink.remove(mac, portIndex: port) } catch {
                failure = failure ?? "remove \(mac) from \(c.port): \(error)"
            }
        }
        report(failure, for: i)
        if !diff.add.isEmpty || !diff.remove.isEmpty {
            logger.info("evpn VNI \(c.vni): advertising \(diff.add.count) more, \(diff.remove.count) fewer local MACs")
        }
    }

    /// A failed write is retried every second: logged when it first happens, not every time.
    private func report(_ problem: String?, for i: Int) {
        mirrors[i].problem = problem
        guard let problem else {
            mirrors[i].logged = nil
            return
        }
        guard mirrors[i].logged != problem else { return }
        mirrors[i].logged = problem
        logger.error("evpn VNI \(mirrors[i].configuration.vni): \(problem)")
    }

    /// Removes every entry this daemon wrote, so zebra withdraws them when the switch stops.
    func withdrawAll() {
        for i in mirrors.indices where mirrors[i].state.portIndex != 0 {
            for mac in mirrors[i].state.advertisedMACs {
                try? netlink.remove(mac, portIndex: mirrors[i].state.portIndex)
            }
        }
    }

    /// A port whose MACs are the fabric's, not this host's: a native vxlan port (its MACs are
    /// remote and must not be advertised as this host's).
    static func facesFabric(_ spec: PortSpecification) -> Bool {
        if case .vxlan = spec.kind { return true }
        return false
    }

    /// Gives each native vxlan port of a mirrored VNI what FRR says about it (docs/evpn-mirror.md,
    /// "The native port"): the flood list (its configured `remotes:` and the type-3 VTEPs) and the
    /// remote MACs with their VTEPs. The engine applies only what changed since the last call.
    func feedVxlanPorts(_ engine: Engine, specs: [PortSpecification]) {
        for mirror in mirrors {
            let s = mirror.state.snapshot
            for spec in specs {
                guard case .vxlan(let settings) = spec.kind, settings.vni == s.vni else { continue }
                var flood = settings.remotes
                for vtep in s.floodList.sorted() where !flood.contains(vtep) { flood.append(vtep) }
                let plane = VxlanControlPlane(floodList: flood, remoteMACs: s.remoteMACs)
                let result = engine.perform { $0.applyVxlanControlPlane(port: spec.name, plane) }
                // Retried every second; logged once per distinct failure.
                if case .success(.failure(let error)) = result {
                    let text = "evpn VNI \(s.vni): cannot apply the routes to \(spec.name): \(error)"
                    if text != lastFeedError { logger.error("\(text)") }
                    lastFeedError = text
                } else {
                    lastFeedError = nil
                }
            }
        }
    }

    var statuses: [EVPNStatus] {
        mirrors.map { m in
            let s = m.state.snapshot
            return EVPNStatus(
                vni: s.vni, vlan: s.vlan, bridge: m.configuration.bridge, vxlan: m.configuration.vxlan,
                port: m.configuration.port, problem: m.problem,
                remoteMACs: s.remoteMACs.sorted { $0.key < $1.key }.map { .init(mac: $0.key.description, vtep: $0.value) },
                floodList: s.floodList.sorted(), advertised: s.advertised.sorted().map(\.description))
        }
    }
}
