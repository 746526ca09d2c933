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
    /// With `extensions`, keys starting `x-` are ignored: they hold anchors for `<<` merges, the
    /// convention docker-compose established.
    mutating func fields(of node: Node, at path: ConfigPath, allowing allowed: [String],
                         extensions: Bool = false) -> Fields? {
        guard let mapping = node.mapping else {
            report(.wrongType, at: node, path, "expected a mapping, found \(node.typeDescription)")
            return nil
        }
        var entries: [String: Entry] = [:]
        // Explicit keys win over merged ones whatever their order (YAML merge-key spec), so
        // merged pairs are considered last.
        var merged: [(key: Node, value: Node)] = []
        for (key, value) in mapping {
            if key.isMergeKey {
                merged += mergeSources(value, at: path)
                continue
            }
            if extensions, key.scalar?.string.hasPrefix("x-") == true { continue }
            add(key, value, to: &entries, at: path, allowing: allowed)
        }
        for (key, value) in merged where !entries.keys.contains(key.scalar?.string ?? "") {
            add(key, value, to: &entries, at: path, allowing: allowed)
        }
        return Fields(node: node, path: path, entries: entries)
    }

    typealias Entry = Fields.Entry

    private mutating func add(_ key: Node, _ value: Node, to entries: inout [String: Entry],
                              at path: ConfigPath, allowing allowed: [String]) {
        // Non-scalar keys (`? [a, b]: x`) are legal YAML but never part of our schema.
        guard case .scalar(let scalar) = key else {
            report(.unknownKey, at: key, path, "unexpected \(key.typeDescription) used as a key")
            return
        }
        let name = scalar.string
        guard allowed.contains(name) else {
            let hint = EditDistance.hint(for: name, among: allowed)
            report(.unknownKey, at: key, path, "unknown key '\(name)'\(hint)")
            return
        }
        entries[name] = Fields.Entry(key: key, value: value, path: path.appending(name))
    }

    /// The pairs a `<<: *anchor` (or `<<: [*a, *b]`) brings in, so ports can share settings through
    /// an anchor. Earlier mappings in a list win; nested merges are expanded (depth-limited, as the
    /// file is untrusted).
    private mutating func mergeSources(_ node: Node, at path: ConfigPath, depth: Int = 0) -> [(key: Node, value: Node)] {
        let sources: [Node] = node.sequence.map(Array.init) ?? [node]
        var pairs: [(key: Node, value: Node)] = []
        for source in sources {
            guard let mapping = source.mapping, depth < 8 else {
                report(.wrongType, at: source, path,
                       "'<<' expected a mapping or a list of mappings, found \(source.typeDescription)")
                continue
            }
            var own: [(key: Node, value: Node)] = []
            var nested: [(key: Node, value: Node)] = []
            for (key, value) in mapping {
                if key.isMergeKey {
                    nested += mergeSources(value, at: path, depth: depth + 1)
                } else {
                    own.append((key, value))
                }
            }
            pairs += own + nested
        }
        // First occurrence wins.
        var seen = Set<String>()
        return pairs.filter { pair in
            guard let name = pair.key.scalar?.string else { return true }
            return seen.insert(name).inserted
        }
    }
}

extension Node {
    var isMergeKey: Bool {
        if case .scalar(let scalar) = self { return scalar.string == "<<" && tagName == .merge }
        return false
    }
}
