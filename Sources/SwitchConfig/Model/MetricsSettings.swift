/// `switch.metrics`: the Prometheus endpoint (docs/metrics.md). Absent = no listener at all.
public struct MetricsSettings: Equatable, Sendable {
    public var listen: ListenAddress

    public init(listen: ListenAddress) {
        self.listen = listen
    }
}

/// A numeric IP address and a TCP port, as `127.0.0.1:9469` or `[::1]:9469`. Only literals:
/// resolving a host name would make the daemon's start wait on DNS, and a name that resolves to
/// several addresses would leave open which one listens.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    public enum Family: Equatable, Sendable { case ipv4, ipv6 }

    public var family: Family
    /// The address as written (without brackets), already checked by inet_pton.
    public var host: String
    public var port: UInt16

    public init(family: Family, host: String, port: UInt16) {
        self.family = family
        self.host = host
        self.port = port
    }

    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
