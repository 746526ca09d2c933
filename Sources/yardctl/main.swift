import ArgumentParser
import ControlClient
import ControlProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `--socket` and `--json`, declared once, on `yardctl` itself. ArgumentParser lets a parent
/// command's options appear anywhere on the line, before or after the subcommand's words
/// (`yardctl --json ports` and `yardctl ports --json` are the same); subcommands read them through
/// `@ParentCommand`.
struct Connection: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's control socket.", valueName: "path"),
            completion: .file())
    var socket: String = defaultControlSocketPath

    @Flag(name: .long, help: "Print the reply as JSON (docs/yardctl.md): an object with a version field.")
    var json = false

    /// Sends one request; failures become one line on stderr (with `--json`, an `error` object on
    /// stdout) and exit code 1.
    func call(_ request: ControlRequest) -> ControlResponse {
        let response: ControlResponse
        do { response = try ControlClient(socketPath: socket).send(request) } catch {
            fail("\(error)")
        }
        if case .failure(let message) = response { fail(message) }
        return response
    }

    func emit<T: Encodable>(_ key: String, _ value: T, text: () -> String) {
        do {
            print(json ? try JSONOutput.document(key, value) : text())
        } catch {
            fail("cannot encode the reply as JSON: \(error)")
        }
    }

    func fail(_ message: String) -> Never {
        if json, let document = try? JSONOutput.document("error", message) {
            leaveTerminal()
            print(document)
            Glibc.exit(1)
        }
        exitWithError("yardctl: \(message)")
    }
}

/// Restores the terminal (`yardctl top`), writes one line to stderr and exits 1.
func exitWithError(_ line: String) -> Never {
    leaveTerminal()
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

struct Yardctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yardctl",
        abstract: "Inspect and steer a running switchyard.",
        discussion: """
            Talks to the daemon over its control socket. --socket and --json may be given before or \
            after the subcommand. Without a daemon, yardctl prints one line naming the socket it \
            tried and exits 1; a refused request (an unknown port, a bad MAC) prints the daemon's \
            sentence and exits 1.
            """,
        subcommands: [FDB.self, Ports.self, Stats.self, Mirrors.self, EVPN.self, Top.self, Reload.self, CaptureCommand.self])

    @OptionGroup var connection: Connection
}

struct Ports: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ports: state, VLAN mode, MACs, features, counters.")
    @ParentCommand var yardctl: Yardctl
    func run() throws {
        let connection = yardctl.connection
        guard case .ports(let ports) = connection.call(.ports) else { connection.fail("unexpected reply") }
        connection.emit("ports", ports) { Rendering.ports(ports) }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Switch-wide counters.")
    @ParentCommand var yardctl: Yardctl
    func run() throws {
        let connection = yardctl.connection
        guard case .stats(let s) = connection.call(.stats) else { connection.fail("unexpected reply") }
        connection.emit("stats", s) { Rendering.stats(s) }
    }
}

struct Mirrors: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Port mirrors (SPAN): output port, copies made and dropped.")
    @ParentCommand var yardctl: Yardctl
    func run() throws {
        let connection = yardctl.connection
        guard case .mirrors(let mirrors) = connection.call(.mirrors) else { connection.fail("unexpected reply") }
        connection.emit("mirrors", mirrors) { Rendering.mirrors(mirrors) }
    }
}

struct EVPN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evpn",
        abstract: "EVPN mirrors per VNI: remote MAC -> VTEP, flood list, advertised local MACs.")
    @ParentCommand var yardctl: Yardctl
    func run() throws {
        let connection = yardctl.connection
        guard case .evpn(let mirrors) = connection.call(.evpn) else { connection.fail("unexpected reply") }
        connection.emit("evpn", mirrors) { Rendering.evpn(mirrors) }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-read the config file; unchanged ports are untouched.")
    @ParentCommand var yardctl: Yardctl
    func run() throws { done(yardctl.connection, .reload) }
}

/// Requests answered with one sentence: printed as is, or as `{"result": ..., "version": 1}`.
func done(_ connection: Connection, _ request: ControlRequest) {
    guard case .done(let message) = connection.call(request) else { connection.fail("unexpected reply") }
    connection.emit("result", message) { message }
}

Yardctl.main()
