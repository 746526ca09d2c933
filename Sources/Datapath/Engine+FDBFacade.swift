import SwitchCore

/// Which entries `Engine.flushFDB` removes. Learned entries only, as `yardctl fdb flush` always
/// did: static ones are configuration and go with `removeFDBEntry`.
public enum FDBFlushScope: Sendable, Equatable {
    case all
    case port(String)
    case vlan(UInt16)
}

/// Why an FDB change through the engine was refused. The descriptions are what `yardctl` prints.
public enum FDBChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchPort(String)
    case noSuchEntry(vlan: UInt16, mac: MACAddress)
    /// The table refused it (invalid VLAN, multicast address, full of static entries).
    case refused(FDBError)
    /// The engine did not take the request (stopped or wedged).
    case engine(EngineError)

    public var description: String {
        switch self {
        case .noSuchPort(let name): "no port named \(name)"
        case .noSuchEntry(let vlan, let mac): "no entry for \(mac) on VLAN \(vlan)"
        case .refused(let error): "\(error)"
        case .engine(let error): "\(error)"
        }
    }
}

/// The FDB as the control plane may change it. The table belongs to the engine thread (the
/// forwarding path reads it without a lock), so each call hops there through the mailbox, runs
/// between bursts and returns; callers never hold the table (docs/engine-snapshots.md). Any
/// thread but the engine's. Reading the table goes through `snapshot(including: .fdbEntries)`.
extension Engine {
    /// Pins `mac` in `vlan` to the port named `port` (replacing a learned entry for it).
    public func addStaticFDBEntry(vlan: UInt16, mac: MACAddress, port: String) -> Result<Void, FDBChangeError> {
        onEngineThread { engine in
            guard let index = engine.portIndex(named: port) else { return .failure(.noSuchPort(port)) }
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
