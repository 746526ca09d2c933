import SwitchCore
import Uplink

/// What an EVPN control plane says about one vxlan port's VNI (docs/vxlan-ports.md, "EVPN"): the
/// VTEPs to flood to (type-3 routes) and the VTEP each remote MAC is behind (type-2 routes).
/// Addresses are dotted-quad IPv4.
public struct VxlanControlPlane: Equatable, Sendable {
    public var floodList: [String]
    public var remoteMACs: [MACAddress: String]

    public init(floodList: [String] = [], remoteMACs: [MACAddress: String] = [:]) {
        self.floodList = floodList
        self.remoteMACs = remoteMACs
    }
}

extension Engine {
    /// A MAC the switch saw on one of its own ports this recently stays there when a route for it
    /// arrives: a guest that just moved here is advertised from here, and BGP's mobility sequence
    /// number then withdraws the route of the host it left.
    static let localPreferenceSeconds: UInt32 = 10

    /// Applies `plane` to vxlan port `name`, as a change against what was applied last (engine
    /// thread: call through `perform`). The flood list is replaced. A MAC whose route is new or
    /// names another VTEP is pinned to it in the port's table and learned on the port in its VLAN,
    /// unless the switch saw it on another port within `localPreferenceSeconds`; a MAC whose route
    /// is gone is unpinned and, if the FDB still has it on this port, forgotten. Nothing changes on
    /// an error (no such port, not a vxlan port, an address that is not IPv4, too many VTEPs).
    public func applyVxlanControlPlane(port name: String, _ plane: VxlanControlPlane) -> Result<Void, EngineError> {
        guard let index = portIndex(named: name), let entry = ports[Int(index)] else { return .failure(.noSuchPort(name)) }
        guard case .vxlan(let unmanaged) = entry.kind else { return .failure(.portSetup(name, "not a vxlan port")) }
        let port = unmanaged.takeUnretainedValue()
        var flood: [UInt32] = []
        for text in plane.floodList {
            guard let a = VxlanSettings.address(text) else { return .failure(.portSetup(name, "VTEP '\(text)' is not IPv4")) }
            flood.append(a)
        }
        var routes: [MACAddress: UInt32] = [:]
        for (mac, text) in plane.remoteMACs {
            guard let a = VxlanSettings.address(text) else { return .failure(.portSetup(name, "VTEP '\(text)' is not IPv4")) }
            routes[mac] = a
        }
        guard port.tunnel.setFloodList(flood) else {
            return .failure(.portSetup(name, "\(flood.count) VTEPs to flood to; at most \(VxlanTunnel.maximumRemotes)"))
        }
        guard case .access(let vlan) = bridge.portMode(index) else { return .success(()) }
        let now = clock.now
        let table = port.tunnel.remotes
        for (mac, _) in port.routes where routes[mac] == nil {
            table.unpin(mac: mac.rawValue)
            if bridge.fdb.lookup(vlan: vlan, mac: mac) == index { _ = bridge.fdb.remove(vlan: vlan, mac: mac) }
        }
        for (mac, vtep) in routes where port.routes[mac] != vtep {
            table.pin(mac: mac.rawValue, address: vtep)
            if let seen = bridge.fdb.entry(vlan: vlan, mac: mac, now: now), seen.port != index,
               case .dynamic(let age) = seen.age, age < Self.localPreferenceSeconds {
                continue
            }
            if bridge.fdb.isStatic(vlan: vlan, mac: mac) == true { continue }
            bridge.fdb.learn(vlan: vlan, mac: mac, port: index, now: now)
        }
        port.routes = routes
        return .success(())
    }
}
