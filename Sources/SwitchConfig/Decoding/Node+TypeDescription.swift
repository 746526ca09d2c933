import Yams

extension Node {
    /// How a value reads in "expected X, found Y" messages: `a string "abc"`, `a boolean true`.
    var typeDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "..." : scalar.string
            switch tagName {
            case .null: return "null"
            case .bool: return "a boolean \(text)"
            case .int: return "an integer \(text)"
            case .float: return "a number \(text)"
            default: return "a string \"\(text)\""
            }
        }
    }
}

extension Node {
    /// The resolved tag (`!!int`, `!!str`, ...): quoted scalars are strings, plain ones are typed
    /// by the YAML 1.1 core schema resolver.
    var tagName: Tag.Name {
        Tag.Name(rawValue: tag.rawValue)
    }
}
