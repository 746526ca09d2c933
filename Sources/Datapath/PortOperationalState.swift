import Uplink

/// Where a port stands, as `yardctl ports` shows it in its `state` column. One type for every port
/// kind (a vhost-user port goes listening → connected → running; an uplink or a TAP device is up,
/// link-down, missing or failed), so the control plane, metrics and tests compare cases instead of
/// strings. `description` is the wire form (`PortStatus.state` in ControlProtocol) and the only
/// place that spells it: changing a string here changes what old `yardctl`s and scripts read.
///
/// Not SwitchCore's `PortState`, which is the 4-byte per-port flag word `decide` reads per frame.
public enum PortOperationalState: Sendable, Equatable, CustomStringConvertible {
    /// vhost-user server socket, no front-end connected.
    case listening
    /// vhost-user client socket, trying to reach its front-end.
    case connecting
    /// A front-end is connected but runs no ring yet.
    case connected
    /// A front-end runs at least one ring.
    case running
    /// Its front-end did something that would hurt the others (docs/port-faults.md).
    case broken(PortFault)
    /// Device ports (uplink, TAP): present, up, carrier, socket open.
    case up
    /// Device ports: present but down or without carrier.
    case linkDown
    /// Device ports: no interface of that name (yet).
    case noSuchInterface
    /// TAP ports: the device went away (deleted); housekeeping opens or creates it again.
    case detached
    /// Device ports: the interface exists but could not be set up; the text says why.
    case failed(String)
    /// A port object without a transport (never served).
    case down

    public var description: String {
        switch self {
        case .listening: "listening"
        case .connecting: "connecting"
        case .connected: "connected"
        case .running: "running"
        case .broken(let fault): "broken (\(fault.name))"
        case .up: "up"
        case .linkDown: "link-down"
        case .noSuchInterface: "no-such-interface"
        case .detached: "detached"
        case .failed(let why): "error: \(why)"
        case .down: "down"
        }
    }

    /// Broken by its front-end, whatever the fault.
    public var isBroken: Bool {
        if case .broken = self { return true }
        return false
    }
}

extension PortOperationalState {
    /// An uplink's link state (Uplink's `UplinkState`) as a port state.
    init(_ link: UplinkState) {
        switch link {
        case .up: self = .up
        case .linkDown: self = .linkDown
        case .noSuchInterface: self = .noSuchInterface
        case .failed(let error): self = .failed("\(error)")
        }
    }
}
