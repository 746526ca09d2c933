#if canImport(Glibc)
import Glibc
#endif
import Datapath
import LinuxIO
import Logging
import MetricsExport
import SwitchConfig

/// `switch.metrics` (docs/metrics.md): a Prometheus endpoint on the main loop, fed from the
/// engine's published snapshots. Read at start only: a reload that changes it says so and
/// leaves the listener as it was (settings other than FDB aging take effect at restart).
extension Daemon {
    /// The endpoint, listening; nil when the file configures none.
    func startMetrics() throws(DaemonSetupError) -> MetricsExporter? {
        guard let settings = configuration.settings.metrics else { return nil }
        let address = settings.listen
        do throws(Errno) {
            let exporter = try MetricsExporter(host: address.host, port: address.port, ipv6: address.family == .ipv6,
                                               logger: logger)
            logger.info("metrics: serving http://\(address)/metrics")
            return exporter
        } catch {
            var why = "metrics: cannot listen on \(address): \(error)"
            // systemd's RestrictAddressFamilies answers socket(AF_INET) with EAFNOSUPPORT; the
            // unit's capability set has no CAP_NET_BIND_SERVICE, so a port below 1024 is EACCES.
            if error.code == EAFNOSUPPORT || error.code == EPERM {
                why += " (under systemd, install the metrics drop-in: docs/deploy.md, 'Metrics')"
            } else if error.code == EACCES && address.port < 1024 {
                why += " (a port below 1024 needs CAP_NET_BIND_SERVICE; pick one above, e.g. 9469)"
            }
            throw DaemonSetupError(why)
        }
    }

    /// The engine publishes its first periodic snapshot a second after it starts; one asked for
    /// once, after the ports are added, lets the first scrape list every port (not per scrape:
    /// scrapes only ever read the latest published one).
    func publishFirstSnapshot() {
        if case .failure(let e) = engine.snapshot() { logger.warning("metrics: first snapshot: \(e)") }
    }

    func serveMetrics(_ exporter: MetricsExporter) {
        exporter.serviceReady { engine.latestSnapshot() }
    }
}
