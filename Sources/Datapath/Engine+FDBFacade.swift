import SwitchCore

/// Which entries `Engine.flushFDB` removes. Learned entries only, as `yardctl fdb flush` always
/// did: static ones are configuration and go with `removeFDBEntry`.
public enum FDBFlushScope: Sendable, Equatable {
    case all
    case port(String)
    case vlan(UInt16)
    /// One VLAN of one port: the port's other VLANs keep their entries.
    case portInVLAN(port: String, vlan: UInt16)
}

/// Why an FDB change through the engine was refused. The descriptions are what `yardctl` prints:
/// one sentence each, never a Swift case name (docs/yardctl.md).
public enum FDBChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchPort(String)
    case noSuchEntry(vlan: UInt16, mac: MACAddress)
    /// A static entry in a VLAN its port does not carry: no frame of that VLAN would ever be
    /// delivered to it, so it would only shadow the address.
    case notAMember(port: String, vlan: UInt16, mode: PortMode)
    /// The table refused it (invalid VLAN, multicast address, full of static entries).
    case refused(FDBError)
    /// The engine did not take the request (stopped or wedged).
    case engine(EngineError)

    public var description: String {
        switch self {
        case .noSuchPort(let name): "no port named \(name)"
        case .noSuchEntry(let vlan, let mac): "no entry for \(mac) on VLAN \(vlan)"
        case .notAMember(let port, let vlan, let mode):
            "port \(port) does not carry VLAN \(vlan) (it is \(FDBChangeError.describe(mode))): a static entry there would never be used"
        case .refused(let error): FDBChangeError.describe(error)
        case .engine(let error): "\(error)"
        }
    }

    static func describe(_ error: FDBError) -> String {
        switch error {
        case .invalidVLAN(let vlan):
            "VLAN \(vlan) is out of range 1...4094"
        case .portOutOfRange(let index):
            "port index \(index) is beyond the table's ports"
        case .multicastAddress(let mac) where mac.isBroadcast:
            "\(mac) is the broadcast address: static entries are for one station (unicast); broadcasts are always flooded within their VLAN"
        case .multicastAddress(let mac):
            "\(mac) is a multicast address (group bit set): static entries are for one station (unicast); multicast is flooded within its VLAN"
        case .tableFull:
            "the FDB is full and every entry is static: delete one or raise fdb.capacity"
        }
    }

    /// `access 10`, `trunk 10,20-30 native 1`, as `yardctl ports` writes a VLAN mode.
    static func describe(_ mode: PortMode) -> String {
        switch mode {
        case .access(let vlan):
            return "access \(vlan)"
        case .trunk(let allowed, let native):
            var ranges: [String] = []
            var run: (first: UInt16, last: UInt16)?
            for v in allowed.members {
                if let r = run, v == r.last &+ 1 { run = (r.first, v); continue }
                if let r = run { ranges.append(r.first == r.last ? "\(r.first)" : "\(r.first)-\(r.last)") }
                run = (v, v)
            }
            if let r = run { ranges.append(r.first == r.last ? "\(r.first)" : "\(r.first)-\(r.last)") }
            return "trunk \(ranges.isEmpty ? "none" : ranges.joined(separator: ","))" + (native.map { " native \($0)" } ?? "")
        }
    }
}

/// The FDB as the control plane may change it. The table belongs to the engine thread (the
/// forwarding path reads it without a lock), so each call hops there through the mailbox, runs
/// between bursts and returns; callers never hold the table (docs/engine-snapshots.md). Any
/// thread but the engine's. Reading the table goes through `snapshot(including: .fdbEntries)`.
extension Engine {
    /// Pins `mac` in `vlan` to the port named `port` (replacing a learned entry for it). Refused
    /// for a VLAN the port does not carry (`notAMember`).
    public func addStaticFDBEntry(vlan: UInt16, mac: MACAddress, port: String) -> Result<Void, FDBChangeError> {
        onEngineThread { engine in
            guard let index = engine.portIndex(named: port) else { return .failure(.noSuchPort(port)) }
            if VLANSet.validRange.contains(vlan), let mode = engine.bridge.portMode(index), !mode.carries(vlan) {
                return .failure(.notAMember(port: port, vlan: vlan, mode: mode))
            }
            do throws(FDBError) {
                try engine.bridge.fdb.addStatic(vlan: vlan, mac: mac, port: index, now: engine.nowSeconds)
                return .success(())
            } catch {
                return .failure(.refused(error))
            }
        }
    }

    /// Removes the entry for `mac` in `vlan`, static or learned.
    public func removeFDBEntry(vlan: UInt16, mac: MACAddress) -> Result<Void, FDBChangeError> {
        onEngineThread { engine in
            engine.bridge.fdb.remove(vlan: vlan, mac: mac) ? .success(()) : .failure(.noSuchEntry(vlan: vlan, mac: mac))
        }
    }

    /// Removes learned entries in `scope`; returns how many.
    public func flushFDB(_ scope: FDBFlushScope) -> Result<Int, FDBChangeError> {
        onEngineThread { engine in
            switch scope {
            case .all:
                return .success(engine.bridge.fdb.flushAll())
            case .port(let name):
                guard let index = engine.portIndex(named: name) else { return .failure(.noSuchPort(name)) }
                return .success(engine.bridge.fdb.flush(port: index))
            case .vlan(let vlan):
                return .success(engine.bridge.fdb.flush(vlan: vlan))
            case .portInVLAN(let name, let vlan):
                guard let index = engine.portIndex(named: name) else { return .failure(.noSuchPort(name)) }
                return .success(engine.bridge.fdb.flush(port: index, vlan: vlan))
            }
        }
    }

    /// Seconds without a frame before a learned entry expires; 0 = never. Takes effect at the next
    /// aging sweep (the housekeeping tick).
    public func setFDBAgingTime(seconds: UInt32) -> Result<Void, FDBChangeError> {
        onEngineThread { engine in
            engine.bridge.fdb.agingTime = seconds
            return .success(())
        }
    }

    private func onEngineThread<T>(_ body: @escaping (Engine) -> Result<T, FDBChangeError>) -> Result<T, FDBChangeError> {
        switch perform(body) {
        case .success(let result): result
        case .failure(let error): .failure(.engine(error))
        }
    }
}
