import Yams

extension ConfigurationDecoder {
    /// An integer within `range`; `noun` names it in the range message ("VLAN 5000 is out of range").
    mutating func integer(_ node: Node, at path: ConfigPath, in range: ClosedRange<Int>,
                          noun: String = "value") -> Int? {
        guard case .scalar(let scalar) = node, node.tagName == .int else {
            report(.wrongType, at: node, path, "expected an integer, found \(node.typeDescription)")
            return nil
        }
        // The resolver accepts any length of digits; Int construction fails past Int.max.
        guard let value = node.int else {
            report(.outOfRange, at: node, path, "\(noun) \(scalar.string) is out of range \(range)")
            return nil
        }
        guard range.contains(value) else {
            report(.outOfRange, at: node, path, "\(noun) \(value) is out of range \(range)")
            return nil
        }
        return value
    }

    /// Text. Numbers are taken as written (a port may be called `1`), but booleans and null are
    /// refused: in YAML 1.1 `name: no` is `false`, which is never what the user meant.
    mutating func string(_ node: Node, at path: ConfigPath) -> String? {
        guard case .scalar(let scalar) = node, node.tagName != .bool, node.tagName != .null else {
            report(.wrongType, at: node, path, "expected a string, found \(node.typeDescription)")
            return nil
        }
        return scalar.string
    }

    /// One of a fixed set of words, e.g. a log level; the message lists them all.
    mutating func choice<Value: RawRepresentable & CaseIterable>(
        _ node: Node, at path: ConfigPath, noun: String
    ) -> Value? where Value.RawValue == String {
        guard case .scalar(let scalar) = node else {
            report(.wrongType, at: node, path, "expected a \(noun), found \(node.typeDescription)")
            return nil
        }
        if let value = Value(rawValue: scalar.string) { return value }
        let valid = Value.allCases.map(\.rawValue)
        let hint = EditDistance.hint(for: scalar.string, among: valid)
        report(.invalidValue, at: node, path,
               "invalid \(noun) '\(scalar.string)'\(hint); expected one of: \(valid.joined(separator: ", "))")
        return nil
    }

    mutating func list(_ node: Node, at path: ConfigPath) -> [Node]? {
        guard let sequence = node.sequence else {
            report(.wrongType, at: node, path, "expected a list, found \(node.typeDescription)")
            return nil
        }
        return Array(sequence)
    }
}
