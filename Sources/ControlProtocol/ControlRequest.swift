/// What `yardctl` asks the daemon. One JSON object per line on the control socket, one reply line.
public enum ControlRequest: Codable, Sendable, Equatable {
    case fdbShow(vlan: UInt16?, port: String?)
    case fdbAdd(port: String, vlan: UInt16, mac: String)
    case fdbDelete(vlan: UInt16, mac: String)
    case fdbFlush(port: String?, vlan: UInt16?)
    case fdbStats
    case ports
    case stats
    case reload
}

/// The daemon's answer. `failure` carries a one-line message meant for a person.
public enum ControlResponse: Codable, Sendable, Equatable {
    case fdb(FDBTable)
    case fdbStats(FDBSummary)
    case ports([PortStatus])
    case stats(SwitchStatistics)
    case done(String)
    case failure(String)
}

/// The control socket both the daemon and `yardctl` use when told nothing else.
public let defaultControlSocketPath = "/run/switchyard/control.sock"
