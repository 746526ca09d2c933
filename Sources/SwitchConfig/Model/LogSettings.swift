public struct LogSettings: Equatable, Sendable {
    public var level: LogLevel
    public var format: LogFormat

    public init(level: LogLevel = .info, format: LogFormat = .text) {
        self.level = level
        self.format = format
    }
}

/// Raw values are exactly swift-log's `Logger.Level` raw values, so the daemon converts with
/// `Logger.Level(rawValue: level.rawValue)` without a table (this module must not import Logging).
public enum LogLevel: String, CaseIterable, Equatable, Sendable {
    case trace, debug, info, notice, warning, error, critical
}

public enum LogFormat: String, CaseIterable, Equatable, Sendable {
    /// One human-readable line per event.
    case text
    /// One JSON object per line, for journald/log shippers.
    case json
}
