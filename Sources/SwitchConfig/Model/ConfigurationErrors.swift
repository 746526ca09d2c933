/// Every problem found in one configuration file, sorted by position, so a user fixes them all
/// in one pass instead of one per run.
public struct ConfigurationErrors: Error, CustomStringConvertible, Equatable, Sendable {
    public var errors: [ConfigurationError]

    public init(_ errors: [ConfigurationError]) {
        self.errors = errors.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
