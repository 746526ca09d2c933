#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VhostTestFrontEnd

/// The built `yardctl` run against a test daemon, with stdout and stderr kept apart (scripts read
/// `--json` from stdout; errors go to stderr).
struct YardctlRun {
    let status: Int32
    let stdout: String
    let stderr: String
    var output: String { stdout + stderr }
}

func yardctl(_ arguments: [String], environment: [String: String]? = nil) throws -> YardctlRun {
    let process = Process()
    process.executableURL = try DaemonProcess.executable("yardctl")
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Small outputs: stderr is a line or two, so reading stdout first cannot fill its pipe.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return YardctlRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
}

extension DaemonProcess {
    /// `yardctl ARGS --socket <this daemon's control socket>`.
    func yardctl(_ arguments: String...) throws -> YardctlRun {
        try DaemonTests.yardctl(arguments + ["--socket", controlSocket])
    }

    /// A front-end (QEMU's role) connected to the server-mode port socket `name.sock`, rings running.
    func connectGuest(_ name: String) throws -> TestFrontEnd {
        let path = directory.appendingPathComponent("\(name).sock").path
        // The control socket is up before every port socket is.
        try waitFor("\(name).sock") { FileManager.default.fileExists(atPath: path) }
        let fe = try TestFrontEnd(connectingTo: path)
        _ = try fe.negotiate()
        try fe.start()
        try fe.sync()
        return fe
    }
}

/// Test frames: Ethernet, optionally one 802.1Q tag, IPv4 ethertype, 50 bytes of payload.
enum YardctlFrames {
    static func mac(_ n: UInt8) -> [UInt8] { [0x52, 0x54, 0x00, 0xC1, 0x00, n] }
    static let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    static func make(to destination: [UInt8], from source: [UInt8], vlan: UInt16? = nil) -> [UInt8] {
        var frame = destination + source
        if let vlan { frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        return frame + [0x08, 0x00] + [UInt8](repeating: 0x5A, count: 50)
    }

    static func text(_ mac: [UInt8]) -> String {
        mac.map { String(format: "%02x", $0) }.joined(separator: ":")
    }
}

/// The JSON object `yardctl --json` printed.
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw DaemonTestError("not a JSON object: \(text)")
    }
    return object
}
