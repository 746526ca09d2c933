import ArgumentParser
import SwitchConfig
import SwitchyardDaemon
#if canImport(Glibc)
import Glibc
#endif

struct Switchyard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "A guest-to-guest virtual switch: vhost-user ports joined by a MAC learning table.")

    @Option(name: .long, help: "The YAML configuration to run.")
    var config: String = "/etc/switchyard/switchyard.yaml"

    @Option(name: .customLong("check-config"), help: "Validate this file, print every error, and exit.")
    var checkConfig: String?

    @Option(name: .customLong("log-format"), help: "text or json (overrides the config file).")
    var logFormat: String?

    @Flag(name: .long, help: "Log as JSON lines (same as --log-format json).")
    var json = false

    func run() throws {
        if let path = checkConfig {
            do {
                let c = try SwitchConfiguration.load(path: path)
                print("\(path): OK, \(c.ports.count) port\(c.ports.count == 1 ? "" : "s")")
                return
            } catch {
                writeError(error.description)
                throw ExitCode(1)
            }
        }
        var format: LogFormat?
        if json { format = .json }
        if let f = logFormat {
            guard let parsed = LogFormat(rawValue: f) else {
                writeError("switchyard: --log-format must be text or json, not '\(f)'")
                throw ExitCode(2)
            }
            format = parsed
        }
        let code = Daemon.run(configPath: config, logFormatOverride: format)
        throw ExitCode(code)
    }
}

func writeError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

Switchyard.main()
