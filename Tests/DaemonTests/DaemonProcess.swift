import ControlClient
import ControlProtocol
import Foundation
import TestSupport

/// A real `switchyard` process on a private config and socket directory, for end-to-end tests.
final class DaemonProcess {
    let directory: URL
    let configPath: String
    let controlSocket: String
    let process = Process()
    let output = Pipe()
    private(set) var log = ""

    /// Where `swift build` put the executables next to this test binary.
    static func executable(_ name: String) throws -> URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw DaemonTestError("\(name) was not built next to the test binary (\(exe.path)); run `swift build` first")
    }

    /// Writes `yaml` (with SOCKDIR replaced by a fresh private directory) and starts the daemon on it.
    /// `environment` replaces the inherited one when given (e.g. to set or drop NOTIFY_SOCKET).
    /// Returns once the daemon answers requests, or, with `waitUntilServing: false` (a test that
    /// holds the daemon before its main loop), once its control socket exists.
    init(yaml: String, extraArguments: [String] = [], environment: [String: String]? = nil,
         waitUntilServing: Bool = true) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("switchyard.yaml").path
        controlSocket = directory.appendingPathComponent("control.sock").path
        try write(yaml: yaml)
        process.executableURL = try DaemonProcess.executable("switchyard")
        process.arguments = ["--config", configPath] + extraArguments
        if let environment { process.environment = environment }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try waitFor("control socket") { FileManager.default.fileExists(atPath: self.controlSocket) }
        // The control socket listens before the configured ports are added; requests are answered
        // only from the main loop, which starts after them. A test that connects to a port right
        // away raced the port's socket (seen once under the full parallel suite: ENOENT).
        if waitUntilServing {
            try waitFor("the daemon answering requests") { (try? self.request(.ports)) != nil }
        }
    }

    func write(yaml: String) throws {
        try yaml.replacingOccurrences(of: "SOCKDIR", with: directory.path)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func request(_ r: ControlRequest) throws -> ControlResponse {
        try ControlClient(socketPath: controlSocket).send(r)
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Stops with SIGTERM and returns the exit status and everything the daemon logged.
    @discardableResult
    func stop() throws -> (status: Int32, log: String) {
        if process.isRunning { signal(SIGTERM) }
        try waitFor("daemon exit", timeout: 10) { !self.process.isRunning }
        log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, log)
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }
}

struct DaemonTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func waitFor(_ what: String, timeout: Double = 10, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { throw DaemonTestError("timed out waiting for \(what)") }
        usleep(20_000)
    }
}

/// Runs a built executable to completion; returns exit status and combined output.
func runTool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let r = try runProgram(at: DaemonProcess.executable(name), arguments)
    return (r.status, r.output)
}
