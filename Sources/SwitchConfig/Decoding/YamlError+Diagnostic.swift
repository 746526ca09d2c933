import Yams

extension YamlError {
    /// The libyaml error as a positioned diagnostic, without the snippet Yams appends (the
    /// position is enough for an editor, and the message stays one line).
    func diagnostic(file: String) -> ConfigurationError {
        func error(_ position: (line: Int, column: Int)?, _ message: String) -> ConfigurationError {
            ConfigurationError(kind: .syntax, file: file, line: position?.line ?? 0, column: position?.column ?? 0,
                               keyPath: "", message: message)
        }
        func syntax(_ context: Context?, _ problem: String, _ mark: Mark) -> ConfigurationError {
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return error((mark.line, mark.column), "YAML syntax error: \(problem)\(during)")
        }
        switch self {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return syntax(context, problem, mark)
        case let .reader(problem, offset, _, yaml):
            return error(offset.flatMap { Self.position(atCharacterOffset: $0, in: yaml) }, "unreadable YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return error((context.mark.line, context.mark.column), "duplicate key \(keys) in one mapping")
        default:
            return error(nil, "YAML error: \(self)")
        }
    }

    private static func position(atCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int)? {
        var line = 1, column = 1
        for (index, character) in text.enumerated() {
            if index == offset { return (line, column) }
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return nil
    }
}
