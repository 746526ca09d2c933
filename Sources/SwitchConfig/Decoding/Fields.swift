import Yams

/// The entries of one YAML mapping, looked up by key. Keys are checked against the schema when the
/// mapping is opened (`ConfigurationDecoder.fields(of:at:allowing:)`), so lookups never see typos.
struct Fields {
    struct Entry {
        let key: Node
        let value: Node
        let path: ConfigPath
    }

    let node: Node
    let path: ConfigPath
    private let entries: [String: Entry]

    init(node: Node, path: ConfigPath, entries: [String: Entry]) {
        self.node = node
        self.path = path
        self.entries = entries
    }

    /// The entry for `key`, or nil when the key is absent or its value is null: `mac-limit: ~`
    /// and leaving `mac-limit` out mean the same thing.
    subscript(key: String) -> Entry? {
        guard let entry = entries[key], !entry.value.isNull else { return nil }
        return entry
    }

    /// Present even when the value is null (for "required" and "does not apply" checks).
    func rawEntry(_ key: String) -> Entry? {
        entries[key]
    }
}

extension Node {
    var isNull: Bool {
        if case .scalar = self { return tagName == .null }
        return false
    }
}

extension ConfigurationDecoder {
    /// Opens a mapping, reporting a wrong type or every key not in `allowed` (with a suggestion).
    mutating func fields(of node: Node, at path: ConfigPath, allowing allowed: [String]) -> Fields? {
        guard let mapping = node.mapping else {
            report(.wrongType, at: node, path, "expected a mapping, found \(node.typeDescription)")
            return nil
        }
        var entries: [String: Entry] = [:]
        for (key, value) in mapping {
            // Non-scalar keys (`? [a, b]: x`) are legal YAML but never part of our schema.
            guard case .scalar(let scalar) = key else {
                report(.unknownKey, at: key, path, "unexpected \(key.typeDescription) used as a key")
                continue
            }
            let name = scalar.string
            guard allowed.contains(name) else {
                let hint = EditDistance.hint(for: name, among: allowed)
                report(.unknownKey, at: key, path, "unknown key '\(name)'\(hint)")
                continue
            }
            entries[name] = Fields.Entry(key: key, value: value, path: path.appending(name))
        }
        return Fields(node: node, path: path, entries: entries)
    }

    typealias Entry = Fields.Entry
}
