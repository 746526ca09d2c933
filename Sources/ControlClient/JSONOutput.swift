import ControlProtocol

/// What `yardctl --json` prints: one object with the format's `version` and the reply under one
/// key named for it (`ports`, `fdb`, `fdbStats`, `stats`, `result`, `error`, `top`). The fields
/// inside are the wire types' property names (docs/yardctl.md); the version changes only
/// when a field is renamed, removed or changes meaning, never when one is added.
public enum JSONOutput {
    public static let version = 1

    /// Pretty-printed for people, sorted keys for diffs (`ports`, `fdb show`, ...).
    public static func document<T: Encodable>(_ key: String, _ value: T) throws -> String {
        try ControlCodec.prettyJSON(Envelope(key: key, value: value))
    }

    /// One line, for streams of objects (`yardctl --json top`: JSON Lines).
    public static func line<T: Encodable>(_ key: String, _ value: T) throws -> String {
        try String(decoding: ControlCodec.encodeLine(Envelope(key: key, value: value)).dropLast(), as: UTF8.self)
    }

    struct Envelope<T: Encodable>: Encodable {
        let key: String
        let value: T

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(JSONOutput.version, forKey: Key(stringValue: "version"))
            try container.encode(value, forKey: Key(stringValue: key))
        }
    }
}
