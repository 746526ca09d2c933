#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Datapath
import Foundation
import LinuxIO
import Logging
import MetricsExport
import SwitchConfig

/// The wiring: config → engine, control socket, signals, reload.
/// The main thread runs this loop; the forwarding engine runs on its own thread.
public final class Daemon {
    let configPath: String
    var configuration: SwitchConfiguration
    let logger: Logger
    let engine: Engine
    let startedAt = Date()
    /// Set when `evpn:` is configured (docs/evpn-mirror.md).
    var evpnMirrors: EVPNMirrors?

    init(configPath: String, configuration: SwitchConfiguration, logger: Logger) throws {
        self.configPath = configPath
        self.configuration = configuration
        self.logger = logger
        engine = try Engine(configuration: configuration.engineConfiguration, logger: logger)
    }

    /// Runs until SIGTERM/SIGINT; returns the process exit code.
    public static func run(configPath: String, logFormatOverride: LogFormat?) -> Int32 {
        let configuration: SwitchConfiguration
        do { configuration = try SwitchConfiguration.load(path: configPath) } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            return 1
        }
        let log = configuration.settings.log
        DaemonLogging.bootstrap(format: logFormatOverride ?? log.format,
                                level: Logger.Level(rawValue: log.level.rawValue) ?? .info)
        let logger = Logger(label: "switchyard")
        do {
            // Signals first: the mask is inherited by every thread started after this.
            let signals = try SignalFD()
            let daemon = try Daemon(configPath: configPath, configuration: configuration, logger: logger)
            return daemon.serve(signals: signals)
        } catch {
            logger.critical("cannot start: \(error)")
            return 1
        }
    }

    private enum Token: UInt64 { case control = 1, signals = 2, controlClients = 3, metrics = 4, metricsClients = 5, evpn = 6 }

    private func serve(signals: SignalFD) -> Int32 {
        let settings = configuration.settings
        do {
            try Daemon.prepareSocketDirectory(settings.socketDirectory)
            try Daemon.prepareSocketDirectory((settings.controlSocket as NSString).deletingLastPathComponent)
        } catch {
            logger.critical("\(error)")
            return 1
        }
        let control: ControlServer
        do { control = try ControlServer(path: settings.controlSocket, logger: logger) } catch {
            logger.critical("cannot listen on control socket \(settings.controlSocket): \(error)")
            return 1
        }
        defer { control.close() }
        let metrics: MetricsExporter?
        do { metrics = try startMetrics() } catch {
            logger.critical("\(error)")
            return 1
        }
        defer { metrics?.close() }
        do {
            try engine.start()
        } catch {
            logger.critical("\(error)")
            return 1
        }
        defer { engine.stop() }
        for port in configuration.ports {
            if case .failure(let e) = addPort(port) { logger.error("\(e)") }
        }
        let mirrorSpecs = configuration.mirrors.map(\.specification)
        if !mirrorSpecs.isEmpty { _ = engine.perform { $0.setMirrors(mirrorSpecs) } }
        if metrics != nil { publishFirstSnapshot() }
        if !configuration.evpn.isEmpty {
            do { evpnMirrors = try EVPNMirrors(configuration.evpn, logger: logger) } catch {
                logger.critical("evpn: \(error)")
                return 1
            }
        }
        // Zebra withdraws what this switch advertised once it is gone from the mirror bridge.
        defer { evpnMirrors?.withdrawAll() }
        let captures = CaptureStreams(engine: engine, logger: logger)
        defer { captures.closeAll() }
        logger.info("switchyard running", metadata: [
            "config": "\(configPath)", "ports": "\(configuration.ports.count)",
            "control": "\(settings.controlSocket)",
        ])

        let epoll: Epoll
        do {
            epoll = try Epoll(capacity: 8)
            try epoll.add(control.rawValue, token: Token.control.rawValue)
            try epoll.add(signals.rawValue, token: Token.signals.rawValue)
            try epoll.add(control.clientsDescriptor, token: Token.controlClients.rawValue)
            if let metrics {
                try epoll.add(metrics.server.listenerDescriptor, token: Token.metrics.rawValue)
                try epoll.add(metrics.server.clientsDescriptor, token: Token.metricsClients.rawValue)
            }
            if let evpnMirrors { try epoll.add(evpnMirrors.fileDescriptor, token: Token.evpn.rawValue) }
        } catch {
            logger.critical("epoll: \(error)")
            return 1
        }
        SystemdNotifier.shared.ready(status: "\(configuration.ports.count) ports configured, control \(settings.controlSocket)")
        // Nothing in this loop waits on a client (docs/never-blocking.md): signals are read every
        // turn whatever else is ready, and the only sleep is epoll_wait up to the next deadline.
        while true {
            let ready = epoll.wait(timeoutMilliseconds: Daemon.sooner(
                Daemon.sooner(control.millisecondsToNextDeadline(), metrics?.server.millisecondsToNextDeadline() ?? -1),
                Daemon.sooner(captures.millisecondsToNextPump, evpnMirrors?.millisecondsToNextTick ?? -1)))
            if let exitCode = handleSignals(signals) { return exitCode }
            for event in ready {
                switch Token(rawValue: event.token) {
                case .control: control.acceptReady()
                case .controlClients: control.serviceReady({ self.handle($0) }, takeOver: captures.takeOver)
                case .metrics: metrics?.server.acceptReady()
                case .metricsClients: if let metrics { serveMetrics(metrics) }
                case .evpn: evpnMirrors?.eventsReady()
                case .signals, nil: break
                }
            }
            control.expire()
            metrics?.server.expire()
            if !captures.isEmpty { captures.pump() }
            evpnMirrors?.tickIfDue(engine)
        }
    }

    /// The shorter of two epoll timeouts, -1 meaning none.
    private static func sooner(_ a: Int32, _ b: Int32) -> Int32 {
        a < 0 ? b : (b < 0 ? a : min(a, b))
    }

    /// Every pending signal; the exit code once SIGTERM or SIGINT came.
    private func handleSignals(_ signals: SignalFD) -> Int32? {
        while let signal = signals.next() {
            switch signal {
            case .hangup:
                logger.info("SIGHUP: reloading \(configPath)")
                switch reload() {
                case .success(let summary): logger.info("\(summary)")
                case .failure(let why): logger.error("reload refused, still running the previous config:\n\(why)")
                }
            case .interrupt, .terminate:
                logger.info("stopping on \(signal == .terminate ? "SIGTERM" : "SIGINT")")
                SystemdNotifier.shared.stopping()
                engine.stop()
                return 0
            }
        }
        return nil
    }
}

/// A start-up step of the daemon itself failed (not a port, not the engine).
struct DaemonSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
