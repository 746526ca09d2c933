import ArgumentParser
import ControlClient
import ControlProtocol

/// Port names for shell completion, asked of the daemon named by `--socket` on the line being
/// completed (or the default one). No daemon, no names: completion must never fail loudly.
private let completePortNames: @Sendable ([String], Int, String) -> [String] = { words, _, _ in
    var socket = defaultControlSocketPath
    if let i = words.firstIndex(of: "--socket"), i + 1 < words.count { socket = words[i + 1] }
    for word in words where word.hasPrefix("--socket=") { socket = String(word.dropFirst("--socket=".count)) }
    guard case .ports(let ports)? = try? ControlClient(socketPath: socket, timeoutSeconds: 1).send(.ports) else { return [] }
    return ports.map(\.name)
}
let portNames = CompletionKind.custom(completePortNames)

/// 802.1Q VLAN ids 1...4094: checked here so a typo is a usage error before any request.
func validateVLAN(_ vlan: UInt16?, _ option: String) throws {
    if let vlan, !(1...4094).contains(vlan) {
        throw ValidationError("\(option) must be a VLAN id in 1...4094, not \(vlan)")
    }
}

struct FDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdb", abstract: "The MAC learning table.",
        subcommands: [Show.self, Add.self, Del.self, Flush.self, FDBStats.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List entries: port, VLAN, MAC, age or static.",
            discussion: "Filters combine. A port that does not exist is an error, not an empty table.")
        @ParentCommand var yardctl: Yardctl
        @Option(help: "Only this VLAN.") var vlan: UInt16?
        @Option(help: "Only this port.", completion: portNames) var port: String?
        @Option(help: ArgumentHelp("Only this MAC address.", valueName: "aa:bb:cc:dd:ee:ff")) var mac: String?

        func validate() throws { try validateVLAN(vlan, "--vlan") }

        func run() throws {
            let connection = yardctl.connection
            guard case .fdb(var table) = connection.call(.fdbShow(vlan: vlan, port: port, mac: mac)) else {
                connection.fail("unexpected reply")
            }
            // A daemon older than --mac ignores the key: filter here too (it prints MACs in
            // lower case with colons), so an old daemon never answers with the whole table.
            if let mac {
                let wanted = String(mac.lowercased().map { $0 == "-" ? ":" : $0 })
                table.entries.removeAll { $0.mac != wanted }
            }
            connection.emit("fdb", table) { Rendering.fdb(table) }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a static entry (never aged, never moved by learning).",
            discussion: "The port must carry the VLAN, and the address must be unicast.")
        @ParentCommand var yardctl: Yardctl
        @Argument(help: "Port name.", completion: portNames) var port: String
        @Argument(help: "VLAN id (1-4094).") var vlan: UInt16
        @Argument(help: ArgumentHelp("MAC address.", valueName: "aa:bb:cc:dd:ee:ff")) var mac: String
        func validate() throws { try validateVLAN(vlan, "VLAN") }
        func run() throws { done(yardctl.connection, .fdbAdd(port: port, vlan: vlan, mac: mac)) }
    }

    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one entry, static or learned.")
        @ParentCommand var yardctl: Yardctl
        @Argument(help: "VLAN id.") var vlan: UInt16
        @Argument(help: ArgumentHelp("MAC address.", valueName: "aa:bb:cc:dd:ee:ff")) var mac: String
        func validate() throws { try validateVLAN(vlan, "VLAN") }
        func run() throws { done(yardctl.connection, .fdbDelete(vlan: vlan, mac: mac)) }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove learned entries: all, of one port, of one VLAN, or of one VLAN on one port.",
            discussion: "Static entries stay; `fdb del` removes them.")
        @ParentCommand var yardctl: Yardctl
        @Option(help: "Only this port.", completion: portNames) var port: String?
        @Option(help: "Only this VLAN (with --port: only this VLAN of that port).") var vlan: UInt16?
        func validate() throws { try validateVLAN(vlan, "--vlan") }
        func run() throws { done(yardctl.connection, .fdbFlush(port: port, vlan: vlan)) }
    }

    struct FDBStats: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Table size and learning events.")
        @ParentCommand var yardctl: Yardctl
        func run() throws {
            let connection = yardctl.connection
            guard case .fdbStats(let s) = connection.call(.fdbStats) else { connection.fail("unexpected reply") }
            connection.emit("fdbStats", s) { Rendering.fdbStats(s) }
        }
    }
}
