import LinuxIO
import SwitchCore

extension Engine {
    /// Engine thread only (call through `perform`).
    public func addPort(_ spec: PortSpecification) -> Result<Void, EngineError> {
        guard portIndex(named: spec.name) == nil else { return .failure(.duplicatePort(spec.name)) }
        guard let free = ports.firstIndex(where: { $0 == nil }) else { return .failure(.tooManyPorts) }
        let index = UInt16(free)
        do {
            try core.addPort(index, name: spec.name, mode: spec.vlan, macLimit: spec.macLimit)
            do {
                try core.setSecurity(index, spec.security)
            } catch {
                _ = core.removePort(index)
                throw error
            }
        } catch {
            return .failure(.portSetup(spec.name, "\(error)"))
        }
        let port = EnginePort(index: index, spec: spec)
        switch spec.kind {
        case .vhostUser:
            do {
                port.vhost = try VhostPort(index: index, spec: spec, engine: self)
            } catch {
                _ = core.removePort(index)
                return .failure(.portSetup(spec.name, "\(error)"))
            }
            // Down until a front-end has a running RX ring: floods skip it, unicast counts port-down.
            _ = core.setPortUp(index, false)
        case .uplink(let interface):
            _ = core.setPortUp(index, false)
            ports[free] = port
            do {
                port.uplink = try UplinkPort(index: index, spec: spec, interface: interface, engine: self)
            } catch {
                ports[free] = nil
                _ = core.removePort(index)
                return .failure(.portSetup(spec.name, "\(error)"))
            }
            uplinkPorts[free] = port.uplink.map { Unmanaged.passUnretained($0) }
            rebuildUplinkList()
        case .tap(let interface):  // tap wiring
            do {  // tap wiring
                port.tap = try TapPort(index: index, spec: spec, interface: interface, engine: self)  // tap wiring
            } catch {  // tap wiring
                _ = core.removePort(index)  // tap wiring
                return .failure(.portSetup(spec.name, "\(error)"))  // tap wiring
            }  // tap wiring
        }
        ports[free] = port
        vhostPorts[free] = port.vhost.map { Unmanaged.passUnretained($0) }
        logger.info("port added", metadata: ["port": "\(spec.name)", "index": "\(index)"])
        return .success(())
    }

    /// Removes the port, its FDB entries and its sockets. Engine thread only.
    public func removePort(named name: String) -> Result<Void, EngineError> {
        guard let index = portIndex(named: name), let port = ports[Int(index)] else {
            return .failure(.noSuchPort(name))
        }
        vhostPorts[Int(index)] = nil
        uplinkPorts[Int(index)] = nil
        port.close(engine: self)
        ports[Int(index)] = nil
        rebuildTransmitRings()
        rebuildUplinkList()
        _ = core.removePort(index)
        logger.info("port removed", metadata: ["port": "\(name)"])
        return .success(())
    }

    public func portIndex(named name: String) -> UInt16? {
        for case let port? in ports where port.spec.name == name { return port.index }
        return nil
    }

    /// Engine thread only: what `yardctl ports` shows beyond the core's counters.
    public func portRuntime() -> [PortRuntime] {
        ports.compactMap { port in
            guard let port else { return nil }
            return PortRuntime(index: port.index, spec: port.spec, state: port.state,
                               features: port.vhost?.negotiatedFeatureNames ?? [],
                               reason: port.uplink?.link.reason ?? port.vhost?.brokenReason ?? port.tap?.reason,  // tap wiring
                               mtu: port.uplink.map { $0.link.mtu } ?? port.spec.mtu,
                               enabledQueuePairs: port.vhost?.enabledQueuePairs ?? 0,
                               faults: port.vhost?.faultCount ?? 0,
                               refusedConnections: port.vhost?.endpoint.refusedConnections ?? 0)
        }
    }
}

/// Per-port facts only the engine knows (connection state, negotiated features).
public struct PortRuntime: Sendable {
    public var index: UInt16
    public var spec: PortSpecification
    public var state: String
    public var features: [String]
    /// Why the port is not up (uplinks: missing interface, no carrier), for `yardctl`.
    public var reason: String?
    /// In force: the configured MTU of a guest port, the interface's MTU of an uplink.
    public var mtu: Int
    public var enabledQueuePairs: Int
    /// Times the port was broken by its front-end (docs/port-faults.md).
    public var faults: UInt64 = 0
    /// Connections refused by allowed-uids (SO_PEERCRED), since the port was added.
    public var refusedConnections: Int = 0
}

extension Engine {
    /// Called whenever a ring starts or stops (between bursts).
    func rebuildTransmitRings() {
        var rings: [TransmitRing] = []
        for case let port? in ports.lazy.compactMap({ $0?.vhost }) {
            for (pair, queue) in port.transmitQueues.enumerated() {
                guard let queue else { continue }
                // The engine polls while awake: no kicks needed until it decides to sleep.
                queue.disableNotifications()
                rings.append(TransmitRing(queue: Unmanaged.passUnretained(queue), port: Unmanaged.passUnretained(port),
                                          pair: pair))
            }
        }
        transmitRings = rings
    }
}
