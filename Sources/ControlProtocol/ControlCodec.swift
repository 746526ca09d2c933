import Foundation

/// Line framing for the control socket: one JSON document, one newline. Sorted keys make the
/// wire (and `--json` output) stable for scripts.
public enum ControlCodec {
    /// Requests larger than this are refused: the control socket is local but still input.
    public static let maximumLineLength = 64 * 1024

    public static func encodeLine<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value)) + [0x0A]
    }

    public static func decode<T: Decodable>(_ type: T.Type, from line: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(line))
    }

    /// Pretty JSON for people reading `yardctl ... --json`.
    public static func prettyJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
