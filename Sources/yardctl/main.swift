import ArgumentParser
import ControlClient
import ControlProtocol
#if canImport(Glibc)
import Glibc
#endif

struct Connection: ParsableArguments {
    @Option(name: .long, help: "The daemon's control socket.")
    var socket: String = defaultControlSocketPath

    @Flag(name: .long, help: "Print the reply as JSON.")
    var json = false

    /// Sends one request; failures become one line on stderr and exit code 1.
    func call(_ request: ControlRequest) throws -> ControlResponse {
        let response: ControlResponse
        do { response = try ControlClient(socketPath: socket).send(request) } catch {
            fail("yardctl: \(error)")
        }
        if case .failure(let message) = response { fail("yardctl: \(message)") }
        return response
    }

    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        print(json ? try ControlCodec.prettyJSON(value) : text())
    }

}

func fail(_ line: String) -> Never {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

struct Yardctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yardctl",
        abstract: "Inspect and steer a running switchyard.",
        subcommands: [FDB.self, Ports.self, Stats.self, Reload.self])
}

struct FDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdb", abstract: "The MAC learning table.",
        subcommands: [Show.self, Add.self, Del.self, Flush.self, FDBStats.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries: port, VLAN, MAC, age or static.")
        @OptionGroup var connection: Connection
        @Option(help: "Only this VLAN.") var vlan: UInt16?
        @Option(help: "Only this port.") var port: String?
        func run() throws {
            guard case .fdb(let table) = try connection.call(.fdbShow(vlan: vlan, port: port)) else { fail("yardctl: unexpected reply") }
            try connection.emit(table) { Rendering.fdb(table) }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a static entry (never aged, never moved by learning).")
        @OptionGroup var connection: Connection
        @Argument(help: "Port name.") var port: String
        @Argument(help: "VLAN id (1-4094).") var vlan: UInt16
        @Argument(help: "MAC address, aa:bb:cc:dd:ee:ff.") var mac: String
        func run() throws { try done(connection, .fdbAdd(port: port, vlan: vlan, mac: mac)) }
    }

    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one entry.")
        @OptionGroup var connection: Connection
        @Argument(help: "VLAN id.") var vlan: UInt16
        @Argument(help: "MAC address.") var mac: String
        func run() throws { try done(connection, .fdbDelete(vlan: vlan, mac: mac)) }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove learned entries (all, or of one port / VLAN).")
        @OptionGroup var connection: Connection
        @Option(help: "Only this port.") var port: String?
        @Option(help: "Only this VLAN.") var vlan: UInt16?
        func run() throws { try done(connection, .fdbFlush(port: port, vlan: vlan)) }
    }

    struct FDBStats: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Table size and learning events.")
        @OptionGroup var connection: Connection
        func run() throws {
            guard case .fdbStats(let s) = try connection.call(.fdbStats) else { fail("yardctl: unexpected reply") }
            try connection.emit(s) { Rendering.fdbStats(s) }
        }
    }
}

struct Ports: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ports: state, VLAN mode, MACs, features, counters.")
    @OptionGroup var connection: Connection
    func run() throws {
        guard case .ports(let ports) = try connection.call(.ports) else { fail("yardctl: unexpected reply") }
        try connection.emit(ports) { Rendering.ports(ports) }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Switch-wide counters.")
    @OptionGroup var connection: Connection
    func run() throws {
        guard case .stats(let s) = try connection.call(.stats) else { fail("yardctl: unexpected reply") }
        try connection.emit(s) { Rendering.stats(s) }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-read the config file; unchanged ports are untouched.")
    @OptionGroup var connection: Connection
    func run() throws { try done(connection, .reload) }
}

func done(_ connection: Connection, _ request: ControlRequest) throws {
    guard case .done(let message) = try connection.call(request) else { fail("yardctl: unexpected reply") }
    if connection.json {
        print(try ControlCodec.prettyJSON(["result": message]))
    } else {
        print(message)
    }
}

/// `yardctl --socket S --json ports` (options first, as with ovs-appctl) means the same as
/// `yardctl ports --socket S --json`: move global options behind the subcommand words.
func reorderedArguments(_ args: [String]) -> [String] {
    var leading: [String] = []
    var rest = args
    while let first = rest.first, first.hasPrefix("--") {
        rest.removeFirst()
        leading.append(first)
        if first == "--socket", let value = rest.first {
            rest.removeFirst()
            leading.append(value)
        }
    }
    return rest + leading
}

Yardctl.main(reorderedArguments(Array(CommandLine.arguments.dropFirst())))
