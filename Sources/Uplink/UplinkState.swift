/// Where the uplink port stands, as `yardctl` shows it. Only `.up` moves frames; the port stays
/// configured in every state and comes back by itself.
public enum UplinkState: Equatable, Sendable, CustomStringConvertible {
    /// Interface present, administratively up, carrier present, socket open.
    case up
    /// Interface present and socket open, but it is down or has no carrier: frames sent to it
    /// would be lost, so the switch treats the port as down until the carrier returns.
    case linkDown
    /// No interface of that name (not created yet, or deleted); reopened when it appears.
    case noSuchInterface
    /// The interface exists but could not be set up (e.g. no CAP_NET_RAW); retried on the next
    /// link event or `refresh()`.
    case failed(UplinkError)

    public var description: String {
        switch self {
        case .up: "up"
        case .linkDown: "link-down"
        case .noSuchInterface: "no-such-interface"
        case .failed(let error): "error: \(error)"
        }
    }

    public var isUp: Bool { self == .up }
}
