/// The little HTTP the metrics endpoint speaks: one request per connection, `GET /metrics`,
/// HTTP/1.0 or 1.1, answered with `Connection: close` (docs/metrics.md). Headers are read past,
/// never interpreted: a Prometheus scraper needs none of them answered.
enum HTTPExchange {
    /// What the bytes received so far amount to.
    enum Parse: Equatable {
        /// The head has not ended yet (no empty line).
        case incomplete
        /// A complete head whose request line is understood.
        case request(method: String, target: String, version: String)
        /// A complete head that is not an HTTP/1.x request line.
        case malformed
    }

    struct Status: Equatable {
        let code: Int
        let reason: String
        static let ok = Status(code: 200, reason: "OK")
        static let badRequest = Status(code: 400, reason: "Bad Request")
        static let notFound = Status(code: 404, reason: "Not Found")
        static let methodNotAllowed = Status(code: 405, reason: "Method Not Allowed")
        static let headerTooLarge = Status(code: 431, reason: "Request Header Fields Too Large")
        static let versionNotSupported = Status(code: 505, reason: "HTTP Version Not Supported")
    }

    static let path = "/metrics"
    /// The Prometheus text exposition format, version 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Looks for the end of the head (CRLF CRLF, or LF LF from a lenient client) in `bytes`.
    static func parse(_ bytes: [UInt8]) -> Parse {
        guard let end = headEnd(bytes) else { return .incomplete }
        var line = bytes[..<end]
        if let newline = line.firstIndex(of: 0x0A) { line = line[..<newline] }
        if line.last == 0x0D { line = line.dropLast() }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ part in !part.isEmpty && part.allSatisfy { $0 > 0x20 && $0 < 0x7F } }) else {
            return .malformed
        }
        return .request(method: String(decoding: parts[0], as: UTF8.self),
                        target: String(decoding: parts[1], as: UTF8.self),
                        version: String(decoding: parts[2], as: UTF8.self))
    }

    /// The status for a request line: the path first (anything but /metrics is 404 whatever the
    /// method), then the method.
    static func status(method: String, target: String, version: String) -> Status {
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return version.hasPrefix("HTTP/") ? .versionNotSupported : .badRequest
        }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == Self.path else { return .notFound }
        guard method == "GET" else { return .methodNotAllowed }
        return .ok
    }

    /// A complete response; `body` only for 200, a one-line explanation otherwise.
    static func response(_ status: Status, body: [UInt8] = []) -> [UInt8] {
        let content = status == .ok ? body : Array("\(status.code) \(status.reason)\n".utf8)
        var head = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        head += "Content-Type: \(status == .ok ? contentType : "text/plain; charset=utf-8")\r\n"
        head += "Content-Length: \(content.count)\r\n"
        if status == .methodNotAllowed { head += "Allow: GET\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + content
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A {
                if i + 1 < bytes.count, bytes[i + 1] == 0x0A { return i }
                if i + 2 < bytes.count, bytes[i + 1] == 0x0D, bytes[i + 2] == 0x0A { return i }
            }
            i += 1
        }
        return nil
    }
}
