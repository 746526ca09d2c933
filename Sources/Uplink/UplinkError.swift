import LinuxIO

/// A failed step in opening or configuring the uplink: what was being done, for which interface,
/// and why. Reported per port; the rest of the switch keeps running.
public struct UplinkError: Error, Equatable, CustomStringConvertible, Sendable {
    public let operation: String
    public let reason: String

    public init(_ operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public init(_ operation: String, errno: Errno) {
        self.init(operation, reason: errno.description)
    }

    public var description: String { "\(operation): \(reason)" }
}
