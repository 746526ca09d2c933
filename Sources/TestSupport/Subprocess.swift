// Shared by the test targets that drive host tools and built executables
// (SystemLibraryTests, UplinkTests, DaemonTests).
import Foundation

/// Runs a host tool (ip, ethtool, tcpdump) and returns its exit status and combined output.
/// A missing tool is a test failure with a clear message, never a skip.
public struct ToolResult {
    public let status: Int32
    public let output: String
}

public struct MissingTool: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "\(name) is not installed (looked in /usr/sbin, /usr/bin, /sbin, /bin); install it to run this test" }
}

public func toolPath(_ name: String) throws -> String {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw MissingTool(name: name)
}

@discardableResult
public func run(_ tool: String, _ arguments: [String]) throws -> ToolResult {
    try runProgram(at: URL(fileURLWithPath: try toolPath(tool)), arguments)
}

/// Runs the program at `url` to completion with `environment` merged over this process's own;
/// returns its exit status and combined stdout and stderr.
@discardableResult
public func runProgram(at url: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}
