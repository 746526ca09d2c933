/// What `yardctl` asks the daemon. One JSON object per line on the control socket, one reply line.
/// New associated values are optional with a default: a request of an older `yardctl` (without
/// the key) still decodes, as nil.
public enum ControlRequest: Codable, Sendable, Equatable {
    /// Each filter given must name something that exists: an unknown port is an error, not an
    /// empty table. `mac` is one address (any case, `:` or `-`).
    case fdbShow(vlan: UInt16? = nil, port: String? = nil, mac: String? = nil)
    case fdbAdd(port: String, vlan: UInt16, mac: String)
    case fdbDelete(vlan: UInt16, mac: String)
    /// Learned entries; with both `port` and `vlan`, only that VLAN of that port.
    case fdbFlush(port: String?, vlan: UInt16?)
    case fdbStats
    case ports
    case stats
    case reload
    /// Port mirrors and their copied / dropped counts (docs/mirroring.md).
    case mirrors
    /// The EVPN mirrors, one per VNI: remote MACs, flood list, advertised MACs (docs/evpn-mirror.md).
    case evpn
    /// Turns the connection into a capture stream (docs/capture.md): one reply line, then
    /// `CaptureRecord`s until the capture ends.
    case capture(CaptureRequest)
}

/// The daemon's answer. `failure` carries a one-line message meant for a person.
public enum ControlResponse: Codable, Sendable, Equatable {
    case fdb(FDBTable)
    case fdbStats(FDBSummary)
    case ports([PortStatus])
    case stats(SwitchStatistics)
    case done(String)
    case mirrors([MirrorStatus])
    case evpn([EVPNStatus])
    case failure(String)
}

/// The control socket both the daemon and `yardctl` use when told nothing else.
public let defaultControlSocketPath = "/run/switchyard/control.sock"
