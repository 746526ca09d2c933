import LinuxIO
import SwitchCore
import VhostUser
import Virtio

extension Engine {
    /// Engine thread only (call through `perform`).
    public func addPort(_ spec: PortSpecification) -> Result<Void, EngineError> {
        guard portIndex(named: spec.name) == nil else { return .failure(.duplicatePort(spec.name)) }
        guard let free = ports.firstIndex(where: { $0 == nil }) else { return .failure(.tooManyPorts) }
        let index = UInt16(free)
        do {
            try bridge.addPort(index, name: spec.name, mode: spec.vlan, macLimit: spec.macLimit)
            do {
                try bridge.setSecurity(index, spec.security)
            } catch {
                _ = bridge.removePort(index)
                throw error
            }
        } catch {
            return .failure(.portSetup(spec.name, "\(error)"))
        }
        // Down until it can carry frames (a front-end with a running RX ring, an interface with
        // carrier): floods skip it, unicast counts port-down.
        _ = bridge.setPortUp(index, false)
        let port: EnginePort
        do {
            port = try makePort(spec, index: index)
        } catch {
            _ = bridge.removePort(index)
            return .failure(.portSetup(spec.name, "\(error)"))
        }
        setPort(port, at: free)
        rebuildPollList()
        // A static MAC the table cannot take (full of static entries) does not stop the port.
        for problem in installStaticMACs(spec.staticMACs, on: index).problems {
            logger.error("\(problem)", metadata: ["port": "\(spec.name)"])
        }
        logger.info("port added", metadata: ["port": "\(spec.name)", "index": "\(index)"])
        return .success(())
    }

    /// The port with the object that moves its frames, by kind.
    private func makePort(_ spec: PortSpecification, index: UInt16) throws -> EnginePort {
        switch spec.kind {
        case .vhostUser:
            let vhost = try VhostPort(index: index, spec: spec, engine: self)
            return EnginePort(index: index, spec: spec, object: vhost, kind: PortKind(vhost))
        case .uplink(let interface):
            let uplink = try UplinkPort(index: index, spec: spec, interface: interface, engine: self)
            return EnginePort(index: index, spec: spec, object: uplink, kind: PortKind(uplink))
        case .tap(let interface):
            let tap = try TapPort(index: index, spec: spec, interface: interface, engine: self)
            return EnginePort(index: index, spec: spec, object: tap, kind: PortKind(tap))
        case .vxlan(let settings):
            let vxlan = try VxlanPort(index: index, spec: spec, settings: settings, engine: self)
            return EnginePort(index: index, spec: spec, object: vxlan, kind: PortKind(vxlan))
        }
    }

    /// The only writer of the port table: `ports` and its unmanaged view change together.
    func setPort(_ port: EnginePort?, at index: Int) {
        portTable[index] = port?.kind
        ports[index] = port
    }

    /// Removes the port, its FDB entries and its sockets. Engine thread only.
    public func removePort(named name: String) -> Result<Void, EngineError> {
        guard let index = portIndex(named: name), let port = ports[Int(index)] else {
            return .failure(.noSuchPort(name))
        }
        port.close(engine: self)
        // Gone for good: a port added again under this name starts from its front-end's bases.
        port.vhost?.device.ringJournal?.remove()
        // The poll list holds unmanaged references: rebuilt in the same step (nothing runs on the
        // hot path in between, it is this thread).
        setPort(nil, at: Int(index))
        rebuildPollList()
        _ = bridge.removePort(index)
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
            var runtime = PortRuntime(index: port.index, spec: port.spec, state: port.state, negotiatedFeatures: [],
                                      reason: nil, mtu: port.spec.mtu, enabledQueuePairs: 0)
            port.object.describe(into: &runtime)
            return runtime
        }
    }
}

/// Per-port facts only the engine knows (connection state, negotiated features).
public struct PortRuntime: Sendable {
    public var index: UInt16
    public var spec: PortSpecification
    public var state: PortOperationalState
    /// What the front-end acked (vhost-user ports, while connected). Bits, not names: a snapshot
    /// takes this every second on the engine thread, the names are made by whoever shows them.
    public var negotiatedFeatures: VirtioFeatures
    public var features: [String] { negotiatedFeatures.names }
    /// Why the port is not up (uplinks: missing interface, no carrier), for `yardctl`.
    public var reason: String?
    /// In force: the configured MTU of a guest port, the interface's MTU of an uplink.
    public var mtu: Int
    public var enabledQueuePairs: Int
    /// Times the port was broken by its front-end (docs/port-faults.md).
    public var faults: UInt64 = 0
    /// The latest of those faults (kept after the port recovers or its front-end reconnects).
    public var lastFault: PortFault?
    /// Connections refused by allowed-uids (SO_PEERCRED), since the port was added.
    public var refusedConnections: Int = 0
    /// vhost-user: the guest memory regions mapped now, each with how many recently posted RX
    /// buffers lie in it (docs/memory-hotplug-and-reconnect.md).
    public var memoryRegions: [GuestRegionUse] = []
}

extension Engine {
    /// Called whenever a port or one of its rings comes or goes (between bursts).
    func rebuildPollList() {
        var slots: [PollSlot] = []
        for case let port? in ports {
            slots.append(contentsOf: port.object.pollSlots(owner: port.kind))
        }
        pollList = slots
    }
}
