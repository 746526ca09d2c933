/// One problem in a configuration file, positioned like a compiler diagnostic:
/// `Config/x.yaml:12:14: ports[1].vlan.access: VLAN 5000 is out of range 1...4094`.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable {
        case unreadableFile
        case syntax
        case unknownKey
        /// A known key that does not apply here, e.g. `socket` on an uplink.
        case inapplicableKey
        /// Keys that exclude each other, e.g. `vlan.access` with `vlan.trunk`.
        case conflictingKeys
        case missingKey
        case wrongType
        /// Not one of a fixed set of words (type, mode, log level, ...).
        case invalidValue
        case outOfRange
        case duplicatePortName
        case duplicateSocketPath
        case duplicateInterface
        /// The same MAC in the same VLAN in `static-macs:` twice (on one port or on two).
        case duplicateStaticMAC
        /// A `mirrors:` entry names a port that is not configured, or a mirror name twice.
        case unknownPort
        case duplicateMirrorName
        /// A mirror's output port also selected by a mirror (its own or another's) or used as a
        /// source of traffic it would copy back into itself.
        case mirrorLoop
    }

    public var kind: Kind
    public var file: String
    /// 1-based; 0 when the error concerns the whole file (e.g. it cannot be read).
    public var line: Int
    /// 1-based, in Unicode scalars; 0 when the error concerns the whole file.
    public var column: Int
    /// Like `ports[1].vlan.access`; empty for file-level and syntax errors.
    public var keyPath: String
    public var message: String

    public init(kind: Kind, file: String, line: Int, column: Int, keyPath: String, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var text = file
        if line > 0 { text += ":\(line):\(column)" }
        text += ": "
        if !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }
}
