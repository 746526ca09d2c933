import Foundation

/// `yardctl capture PORT ...` as sent to the daemon.
public struct CaptureRequest: Codable, Sendable, Equatable {
    public var port: String
    /// "in", "out" or "both" (nil: both).
    public var direction: String?
    public var vlan: UInt16?
    /// Ends the capture after this many frames passed the filter.
    public var count: Int?
    /// A tcpdump filter expression, compiled by libpcap in the daemon.
    public var filter: String?
    /// Bytes kept of each frame.
    public var snaplen: Int?

    public init(port: String, direction: String? = nil, vlan: UInt16? = nil, count: Int? = nil,
                filter: String? = nil, snaplen: Int? = nil) {
        self.port = port
        self.direction = direction
        self.vlan = vlan
        self.count = count
        self.filter = filter
        self.snaplen = snaplen
    }

    public static let defaultSnaplen = 9216
}

/// What a capture's end reports: frames sent to the client, frames the filter refused, frames
/// lost because the ring was full (the reader or the daemon fell behind), and why it ended.
public struct CaptureSummary: Codable, Sendable, Equatable {
    public var captured: UInt64
    public var filteredOut: UInt64
    public var lost: UInt64
    public var reason: String

    public init(captured: UInt64, filteredOut: UInt64, lost: UInt64, reason: String) {
        self.captured = captured
        self.filteredOut = filteredOut
        self.lost = lost
        self.reason = reason
    }

    public var sentence: String {
        "capture ended (\(reason)): \(captured) frames captured, \(filteredOut) filtered out, \(lost) lost"
    }
}

/// One record of a capture stream after its reply line: a 20-byte header (little-endian kind,
/// direction, 2 reserved, seconds, microseconds, captured length, original length) and the
/// captured bytes; the last record is `end`, whose bytes are a `CaptureSummary` in JSON.
public enum CaptureRecord: Equatable, Sendable {
    case frame(direction: UInt8, seconds: UInt32, microseconds: UInt32, originalLength: UInt32, bytes: [UInt8])
    case end(CaptureSummary)

    public static let headerLength = 20
    /// The largest payload a reader accepts (a whole 64 KB frame plus tags, or a summary).
    public static let maximumPayload = 70_000
    static let frameKind: UInt8 = 1
    static let endKind: UInt8 = 2

    /// Appends a frame record to `out` without building an intermediate array.
    public static func appendFrame(to out: inout [UInt8], direction: UInt8, seconds: UInt32, microseconds: UInt32,
                                   originalLength: UInt32, bytes: UnsafeRawBufferPointer) {
        appendHeader(to: &out, kind: frameKind, direction: direction, seconds: seconds, microseconds: microseconds,
                     capturedLength: UInt32(bytes.count), originalLength: originalLength)
        out.append(contentsOf: bytes)
    }

    public static func appendEnd(to out: inout [UInt8], _ summary: CaptureSummary) {
        let json = (try? JSONEncoder().encode(summary)).map(Array.init) ?? []
        appendHeader(to: &out, kind: endKind, direction: 0, seconds: 0, microseconds: 0,
                     capturedLength: UInt32(json.count), originalLength: UInt32(json.count))
        out.append(contentsOf: json)
    }

    private static func appendHeader(to out: inout [UInt8], kind: UInt8, direction: UInt8, seconds: UInt32,
                                     microseconds: UInt32, capturedLength: UInt32, originalLength: UInt32) {
        out.append(kind)
        out.append(direction)
        out.append(0)
        out.append(0)
        for word in [seconds, microseconds, capturedLength, originalLength] {
            withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) }
        }
    }

    /// Decodes the record at the start of `buffer`: the record and the bytes it used, nil when
    /// more bytes are needed. Throws on a record no daemon writes.
    public static func decode(_ buffer: ArraySlice<UInt8>) throws -> (CaptureRecord, Int)? {
        guard buffer.count >= headerLength else { return nil }
        let b = buffer.startIndex
        func word(_ offset: Int) -> UInt32 {
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(buffer[b + offset + i]) << (8 * i) }
            return v
        }
        let length = Int(word(12))
        guard length <= maximumPayload else { throw CaptureStreamError("record of \(length) bytes") }
        guard buffer.count >= headerLength + length else { return nil }
        let payload = Array(buffer[(b + headerLength)..<(b + headerLength + length)])
        switch buffer[b] {
        case frameKind:
            return (.frame(direction: buffer[b + 1], seconds: word(4), microseconds: word(8), originalLength: word(16),
                           bytes: payload), headerLength + length)
        case endKind:
            let summary: CaptureSummary
            do { summary = try JSONDecoder().decode(CaptureSummary.self, from: Data(payload)) } catch {
                throw CaptureStreamError("end record: \(error)")
            }
            return (.end(summary), headerLength + length)
        default:
            throw CaptureStreamError("record kind \(buffer[b])")
        }
    }
}

public struct CaptureStreamError: Error, CustomStringConvertible {
    public let description: String
    public init(_ what: String) { description = "malformed capture stream: \(what)" }
}
