#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `yardctl top` on a pseudo-terminal, as a person runs it: raw input while it runs, `q` quits,
/// SIGINT kills it, and either way the terminal's settings come back (docs/yardctl.md, "top").
@Suite(.serialized) struct YardctlTerminalTests {
    /// A pty pair: the test holds the master side, `yardctl` gets the slave as stdin, out and err.
    final class PseudoTerminal {
        let master: Int32
        let slave: Int32
        var output: [UInt8] = []

        init() throws {
            var m: Int32 = -1
            var s: Int32 = -1
            guard openpty(&m, &s, nil, nil, nil) == 0 else {
                throw DaemonTestError("no pseudo-terminal: \(String(cString: strerror(errno)))")
            }
            master = m
            slave = s
        }

        deinit {
            close(master)
            close(slave)
        }

        var localFlags: tcflag_t {
            var t = termios()
            tcgetattr(slave, &t)
            return t.c_lflag
        }

        var text: String { String(decoding: output, as: UTF8.self) }

        /// Reads what yardctl wrote until `condition` holds or `timeout` seconds pass.
        func read(until condition: (String) -> Bool, timeout: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while !condition(text) {
                guard Date() < deadline else { return false }
                var fd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&fd, 1, 50) > 0 else { continue }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = chunk.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
                if n > 0 { output += chunk[0..<n] } else { return condition(text) }
            }
            return true
        }

        func type(_ keys: String) {
            _ = Array(keys.utf8).withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }
    }

    private func startTop(_ d: DaemonProcess, on tty: PseudoTerminal) throws -> Process {
        let process = Process()
        process.executableURL = try DaemonProcess.executable("yardctl")
        process.arguments = ["top", "-d", "0.2", "--socket", d.controlSocket]
        let handle = FileHandle(fileDescriptor: tty.slave, closeOnDealloc: false)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    @Test func qQuitsAtOnceAndTheTerminalIsAsBefore() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let tty = try PseudoTerminal()
        let before = tty.localFlags
        #expect(before & tcflag_t(ICANON) != 0 && before & tcflag_t(ECHO) != 0, "a fresh pty is canonical with echo")
        let top = try startTop(d, on: tty)
        #expect(tty.read(until: { $0.contains("switchyard: up") }), "no frame drawn: \(tty.text)")
        // While it runs: keys one at a time, not echoed; the screen is redrawn with escape codes.
        #expect(tty.localFlags & tcflag_t(ICANON | ECHO) == 0)
        #expect(tty.text.contains("\u{1B}[H\u{1B}[2J") && tty.text.contains("\u{1B}[?25l"))
        tty.type("q")
        try waitFor("yardctl top to quit on q", timeout: 3) { !top.isRunning }
        #expect(top.terminationStatus == 0)
        #expect(tty.localFlags == before, "terminal settings restored")
        _ = tty.read(until: { $0.contains("\u{1B}[?25h") }, timeout: 1)
        #expect(tty.text.contains("\u{1B}[?25h"), "cursor shown again")
        try d.stop()
    }

    @Test func sigintStopsItAndStillRestoresTheTerminal() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let tty = try PseudoTerminal()
        let before = tty.localFlags
        let top = try startTop(d, on: tty)
        #expect(tty.read(until: { $0.contains("switchyard: up") }), "no frame drawn: \(tty.text)")
        #expect(tty.localFlags & tcflag_t(ICANON) == 0, "raw while running")
        kill(top.processIdentifier, SIGINT)
        try waitFor("yardctl top to die of SIGINT", timeout: 3) { !top.isRunning }
        #expect(top.terminationReason == .uncaughtSignal && top.terminationStatus == SIGINT)
        #expect(tty.localFlags == before, "terminal settings restored by the signal handler")
        _ = tty.read(until: { $0.contains("\u{1B}[?25h") }, timeout: 1)
        #expect(tty.text.contains("\u{1B}[?25h"))
        try d.stop()
    }
}
