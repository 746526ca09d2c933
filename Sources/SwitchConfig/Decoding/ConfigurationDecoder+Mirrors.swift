import Yams

/// `mirrors:` (docs/mirroring.md): `[{name, output, source-ports, destination-ports, vlans}]`,
/// checked against the ports once they are all read.
extension ConfigurationDecoder {
    static let mirrorKeys = ["name", "output", "source-ports", "destination-ports", "vlans"]
    // Each mirror is one more check per selected frame on the forwarding thread; a handful covers
    // every SPAN session a host runs (hardware switches allow 4 to 16).
    static let mirrorCountRange = 0...16

    mutating func decodeMirrors(_ node: Node, at path: ConfigPath, ports: [PortDraft]) -> [MirrorConfiguration] {
        guard let items = list(node, at: path) else { return [] }
        guard Self.mirrorCountRange.contains(items.count) else {
            report(.outOfRange, at: node, path, "at most \(Self.mirrorCountRange.upperBound) mirrors, found \(items.count)")
            return []
        }
        var portNames: [String: PortDraft] = [:]
        for port in ports { if let (name, _) = port.name, portNames[name] == nil { portNames[name] = port } }
        var names: [String: Node] = [:]
        // Every port a mirror selects, with where: an output port may not be one of them.
        var selected: [String: [(node: Node, path: ConfigPath, mirror: Int)]] = [:]
        var outputs: [(name: String, node: Node, path: ConfigPath, mirror: Int)] = []
        var mirrors: [MirrorConfiguration] = []
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index: index)
            let errorsBefore = errors.count
            guard let fields = fields(of: item, at: itemPath, allowing: Self.mirrorKeys) else { continue }
            var name: String?
            if let entry = required("name", in: fields, for: "a mirror"), let text = string(entry.value, at: entry.path) {
                if !(Self.portNameLength.contains(text.count) && text.allSatisfy(Self.portNameAlphabet.contains)) {
                    report(.invalidValue, at: entry.value, entry.path,
                           "invalid mirror name '\(text)': use 1 to 32 characters from A-Z a-z 0-9 _ . -")
                } else if let first = names[text] {
                    report(.duplicateMirrorName, at: entry.value, entry.path,
                           "duplicate mirror name '\(text)' (first used \(first.mark.map { "at line \($0.line)" } ?? "earlier"))")
                } else {
                    names[text] = entry.value
                    name = text
                }
            }
            var output: String?
            if let entry = required("output", in: fields, for: "a mirror"),
               let text = portName(entry.value, at: entry.path, among: portNames) {
                output = text
                outputs.append((text, entry.value, entry.path, index))
                if let port = portNames[text], let first = port.staticMACs.first {
                    report(.inapplicableKey, at: entry.value, entry.path,
                           "port '\(text)' is a mirror output and receives only copies: its static-macs (line \(first.node.mark?.line ?? 0)) would never be used")
                }
            }
            let sources = portList("source-ports", in: fields, among: portNames)
            let destinations = portList("destination-ports", in: fields, among: portNames)
            var vlans: [UInt16] = []
            if let entry = fields["vlans"], let list = list(entry.value, at: entry.path) {
                for (i, vlan) in list.enumerated() {
                    if let range = vlanRange(vlan, at: entry.path.appending(index: i)) { vlans += Array(range) }
                }
            }
            for (port, node, portPath) in sources + destinations {
                if port == output {
                    report(.mirrorLoop, at: node, portPath,
                           "port '\(port)' is this mirror's output: it cannot also be one of its sources or destinations")
                } else {
                    selected[port, default: []].append((node, portPath, index))
                }
            }
            if sources.isEmpty, destinations.isEmpty, vlans.isEmpty, errors.count == errorsBefore {
                report(.missingKey, at: item, itemPath,
                       "a mirror selects nothing without 'source-ports', 'destination-ports' or 'vlans'")
            }
            guard errors.count == errorsBefore, let name, let output else { continue }
            mirrors.append(MirrorConfiguration(name: name, output: output, sourcePorts: Self.unique(sources.map(\.name)),
                                               destinationPorts: Self.unique(destinations.map(\.name)),
                                               vlans: Array(Set(vlans)).sorted()))
        }
        // Copies never reach an output from another mirror's selection: the output sends nothing
        // into the switch and copies are not mirrored again, so selecting it would copy nothing.
        for (name, node, outputPath, mirror) in outputs {
            if let use = selected[name]?.first(where: { $0.mirror != mirror }) {
                report(.mirrorLoop, at: node, outputPath,
                       "port '\(name)' is a mirror output but another mirror selects it (\(use.path), line \(use.node.mark?.line ?? 0)): an output port carries only copies")
            }
        }
        return mirrors
    }

    /// A list of configured port names, each with its node and path for later checks.
    private mutating func portList(_ key: String, in fields: Fields,
                                   among ports: [String: PortDraft]) -> [(name: String, node: Node, path: ConfigPath)] {
        guard let entry = fields[key], let items = list(entry.value, at: entry.path) else { return [] }
        return items.enumerated().compactMap { index, item in
            let itemPath = entry.path.appending(index: index)
            return portName(item, at: itemPath, among: ports).map { ($0, item, itemPath) }
        }
    }

    private mutating func portName(_ node: Node, at path: ConfigPath, among ports: [String: PortDraft]) -> String? {
        guard let text = string(node, at: path) else { return nil }
        guard ports[text] != nil else {
            let hint = EditDistance.hint(for: text, among: Array(ports.keys).sorted())
            report(.unknownPort, at: node, path, "no port named '\(text)'\(hint)")
            return nil
        }
        return text
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
