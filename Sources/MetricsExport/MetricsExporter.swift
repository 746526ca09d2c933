import Datapath
import LinuxIO
import Logging
import Prometheus

/// `switch.metrics`: the endpoint and the series it serves, for the daemon to drive from its main
/// loop (docs/metrics.md). Each `GET /metrics` brings the series up to the engine's latest
/// published snapshot and renders the registry; nothing here runs on, or waits for, the engine.
public final class MetricsExporter {
    public let server: MetricsServer
    let registry: PrometheusCollectorRegistry
    let series: SnapshotMetrics

    /// Listens at once: a port in use or an address family the sandbox forbids fails the start.
    public init(host: String, port: UInt16, ipv6: Bool, logger: Logger,
                limits: MetricsServer.Limits = MetricsServer.Limits()) throws(Errno) {
        registry = PrometheusCollectorRegistry()
        series = SnapshotMetrics(registry: registry)
        server = try MetricsServer(listener: TCPListener(host: host, port: port, ipv6: ipv6),
                                   registry: registry, logger: logger, limits: limits)
    }

    /// Serves the connections that are ready; `latest` is read only when a scrape asks for it.
    public func serviceReady(latest: () -> EngineSnapshot?) {
        server.serviceReady { render(latest()) }
    }

    /// The Prometheus text for `snapshot`.
    public func render(_ snapshot: EngineSnapshot?) -> [UInt8] {
        series.update(from: snapshot)
        var body: [UInt8] = []
        registry.emit(into: &body)
        return body
    }

    public func close() { server.close() }
}
