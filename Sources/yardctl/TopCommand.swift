import ArgumentParser
import ControlClient
import ControlProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `yardctl top`: rates from two successive `ports` and `stats` replies (each a fresh engine
/// snapshot), divided by the time between the engine's readings (docs/yardctl.md, "top").
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Live per-port rates: frames/s, bits/s and drops/s by reason, refreshed like top (q quits).",
        discussion: """
            On a terminal the screen is redrawn every --delay seconds; q or Ctrl-C quits and \
            restores the terminal. Piped (or with stdout not a terminal) it prints plain frames \
            without escape codes, separated by a blank line; with --json, one JSON object per line. \
            -n stops after that many frames. Rates need two readings: the first frame comes one \
            delay after the start.
            """)

    @ParentCommand var yardctl: Yardctl

    @Option(name: [.customShort("n"), .customLong("iterations")], help: "Stop after this many frames.")
    var iterations: Int?

    @Option(name: [.customShort("d"), .customLong("delay")], help: "Seconds between frames (0.1 to 3600).")
    var delay: Double = 1

    func validate() throws {
        if let iterations, iterations < 1 { throw ValidationError("-n must be at least 1, not \(iterations)") }
        guard delay >= 0.1, delay <= 3600 else { throw ValidationError("--delay must be 0.1 to 3600 seconds, not \(delay)") }
    }

    func run() throws {
        let connection = yardctl.connection
        let interactive = !connection.json && isatty(1) == 1
        if interactive {
            enterTerminal(rawInput: isatty(0) == 1)
            print(clearScreen + "yardctl top: first rates in \(delay) s (q quits)")
            fflush(nil)
        }
        let period = UInt64(delay * 1e9)
        var previous = sample(connection)
        var deadline = monotonicNanoseconds() + period
        var shown = 0
        while iterations.map({ shown < $0 }) ?? true {
            if waitForQuit(until: deadline) { break }
            let current = sample(connection)
            let frame = TopFrame(from: previous, to: current)
            previous = current
            show(frame, connection: connection, interactive: interactive)
            shown += 1
            // Keep the cadence; after a stall (a suspended terminal), restart it from now.
            deadline += period
            let now = monotonicNanoseconds()
            if deadline < now { deadline = now + period }
        }
        leaveTerminal()
    }

    private func sample(_ connection: Connection) -> TopSample {
        guard case .ports(let ports) = connection.call(.ports) else { connection.fail("unexpected reply") }
        guard case .stats(let stats) = connection.call(.stats) else { connection.fail("unexpected reply") }
        return TopSample(ports: ports, stats: stats, clientNanoseconds: monotonicNanoseconds())
    }

    private func show(_ frame: TopFrame, connection: Connection, interactive: Bool) {
        if connection.json {
            do { print(try JSONOutput.line("top", frame)) } catch { connection.fail("cannot encode the frame as JSON: \(error)") }
        } else if interactive {
            print(clearScreen + Rendering.top(frame) + "\n\nq quits", terminator: "")
        } else {
            print(Rendering.top(frame) + "\n")
        }
        fflush(nil)
    }
}
