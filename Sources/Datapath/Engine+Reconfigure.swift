import SwitchCore

/// What `Engine.updatePort` did to the FDB, for `yardctl reload` and the log.
public struct PortUpdate: Equatable, Sendable {
    /// Entries removed: those in VLANs the port no longer carries (learned and static), and the
    /// port's learned entries when its allow-list changed or its MAC limit fell below them.
    public var flushedEntries = 0
    /// Static MACs of the configuration installed (new, or taken back from a learned entry or from
    /// another port) and removed (no longer configured on this port).
    public var staticMACsInstalled = 0
    public var staticMACsRemoved = 0
    /// Static MACs that could not be installed (the FDB is full of static entries).
    public var problems: [String] = []

    public init() {}
}

/// Reload in place (docs/reload.md): a port keeps its connection, rings, counters and the FDB
/// entries still valid while its VLANs, MAC limit, security, MTU, limits and static MACs change.
/// Engine thread only (call through `perform`): it runs between bursts, so no frame is ever
/// switched by half a configuration.
extension Engine {
    /// Whether `new` can replace `old` on a running port. What it cannot: the kind (type, socket
    /// path and mode, queue pairs, interface: the guest's connection and what it negotiated), the
    /// socket access rules (the connected peer was admitted under the old ones) and a tap's MTU
    /// (set on the device when it is created).
    public static func canUpdateInPlace(from old: PortSpecification, to new: PortSpecification) -> Bool {
        guard old.name == new.name, old.kind == new.kind, old.access == new.access else { return false }
        if case .tap = new.kind, old.mtu != new.mtu { return false }
        // The tunnel's receive slots are sized by the MTU.
        if case .vxlan = new.kind, old.mtu != new.mtu { return false }
        return true
    }

    /// Applies `spec` to the running port of the same name in place. Fails, changing nothing,
    /// when there is no such port or `canUpdateInPlace` says no (the caller re-creates it).
    public func updatePort(_ spec: PortSpecification) -> Result<PortUpdate, EngineError> {
        guard let index = portIndex(named: spec.name), let port = ports[Int(index)] else {
            return .failure(.noSuchPort(spec.name))
        }
        let old = port.spec
        guard Self.canUpdateInPlace(from: old, to: spec) else {
            return .failure(.portSetup(spec.name, "its type, socket, mode, queues, interface or socket access changed: "
                + "it must be re-created"))
        }
        var update = PortUpdate()
        let fdb = bridge.fdb
        let entriesBefore = fdb.entryCount(port: index)
        do {
            // Entries (static too) in VLANs the port left go; the rest stay valid (Bridge.updatePort).
            try bridge.updatePort(index, name: spec.name, mode: spec.vlan, macLimit: spec.macLimit)
            // A new allow-list flushes the port's learned entries (Bridge.setSecurity).
            if spec.security != old.security { try bridge.setSecurity(index, spec.security) }
        } catch {
            return .failure(.portSetup(spec.name, "\(error)"))
        }
        // A limit below what the port holds would keep the excess until it ages out while refusing
        // every new station: start over, the guest's stations are learned again up to the limit.
        if let limit = spec.macLimit, fdb.dynamicEntryCount(port: index) > limit {
            fdb.flush(port: index)
        }
        update.flushedEntries = entriesBefore - fdb.entryCount(port: index)

        let wanted = Set(spec.staticMACs)
        for entry in old.staticMACs where !wanted.contains(entry) {
            // Only if it is still this port's: a static MAC moved to a port updated earlier in the
            // same reload already points there.
            if fdb.lookup(vlan: entry.vlan, mac: entry.mac) == index, fdb.isStatic(vlan: entry.vlan, mac: entry.mac) == true {
                fdb.removeStatic(vlan: entry.vlan, mac: entry.mac)
                update.staticMACsRemoved += 1
            }
        }
        let installed = installStaticMACs(spec.staticMACs, on: index)
        update.staticMACsInstalled = installed.count
        update.problems = installed.problems

        switch port.kind {
        case .vhostUser(let vhost): vhost.takeUnretainedValue().reconfigure(spec)
        case .uplink(let uplink): uplink.takeUnretainedValue().spec = spec
        case .tap(let tap): tap.takeUnretainedValue().spec = spec
        case .vxlan(let vxlan): vxlan.takeUnretainedValue().spec = spec
        }
        port.spec = spec
        logger.info("port updated in place", metadata: [
            "port": "\(spec.name)", "flushed": "\(update.flushedEntries)",
            "static-installed": "\(update.staticMACsInstalled)", "static-removed": "\(update.staticMACsRemoved)",
        ])
        return .success(update)
    }

    /// Puts the port's configured static MACs back where they are missing (removed by hand with
    /// `yardctl fdb del`, or taken by another port's `yardctl fdb add`): the configuration is what
    /// a reload makes true, also for ports whose configuration did not change.
    public func reassertStaticMACs(port name: String) -> Result<PortUpdate, EngineError> {
        guard let index = portIndex(named: name), let port = ports[Int(index)] else { return .failure(.noSuchPort(name)) }
        var update = PortUpdate()
        let installed = installStaticMACs(port.spec.staticMACs, on: index)
        update.staticMACsInstalled = installed.count
        update.problems = installed.problems
        return .success(update)
    }

    /// Installs each entry not already static on `index` (replacing a learned entry, or another
    /// port's static one: the configuration moved it). Returns how many it installed and what
    /// it could not.
    func installStaticMACs(_ entries: [StaticMAC], on index: UInt16) -> (count: Int, problems: [String]) {
        let fdb = bridge.fdb
        var count = 0
        var problems: [String] = []
        for entry in entries {
            if fdb.lookup(vlan: entry.vlan, mac: entry.mac) == index, fdb.isStatic(vlan: entry.vlan, mac: entry.mac) == true {
                continue
            }
            do throws(FDBError) {
                try fdb.addStatic(vlan: entry.vlan, mac: entry.mac, port: index, now: nowSeconds)
                count += 1
            } catch {
                let why = error == .tableFull ? "the FDB is full of static entries" : "\(error)"
                problems.append("static MAC \(entry.mac) in VLAN \(entry.vlan) on \(ports[Int(index)]?.spec.name ?? "?"): \(why)")
            }
        }
        return (count, problems)
    }
}

extension Engine {
    /// Removes the port named `spec.name` and adds it again from `spec`, for the changes
    /// `canUpdateInPlace` refuses: its guest reconnects and its learned entries go. Static entries
    /// added at run time (`yardctl fdb add`, not in the old configuration) come back on the new
    /// port in the VLANs it still carries; the configured ones are the new `spec.staticMACs`.
    /// Returns how many run-time static entries were carried over.
    public func recreatePort(_ spec: PortSpecification) -> Result<Int, EngineError> {
        guard let index = portIndex(named: spec.name), let old = ports[Int(index)]?.spec else {
            return .failure(.noSuchPort(spec.name))
        }
        let configured = Set(old.staticMACs)
        let carried = bridge.fdb.copyEntries(now: nowSeconds).filter {
            $0.port == index && $0.isStatic && !configured.contains(StaticMAC(vlan: $0.vlan, mac: $0.mac))
                && spec.vlan.memberVLANs.contains($0.vlan)
        }
        if case .failure(let error) = removePort(named: spec.name) { return .failure(error) }
        if case .failure(let error) = addPort(spec) { return .failure(error) }
        guard let newIndex = portIndex(named: spec.name) else { return .failure(.noSuchPort(spec.name)) }
        var restored = 0
        for entry in carried where bridge.fdb.lookup(vlan: entry.vlan, mac: entry.mac) == nil {
            do throws(FDBError) {
                try bridge.fdb.addStatic(vlan: entry.vlan, mac: entry.mac, port: newIndex, now: nowSeconds)
                restored += 1
            } catch {
                logger.error("static MAC \(entry.mac) in VLAN \(entry.vlan) not restored on \(spec.name): \(error)")
            }
        }
        return .success(restored)
    }
}

extension Engine {
    /// The running port's specification (engine thread only), for a reload to start from.
    public func portSpecification(named name: String) -> PortSpecification? {
        guard let index = portIndex(named: name) else { return nil }
        return ports[Int(index)]?.spec
    }
}
