#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// A plain TCP client for the daemon's `/metrics` endpoint (docs/metrics.md), with deadlines.
enum MetricsClient {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    /// A loopback port nobody listens on now (bound to 0, read back, released).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw DaemonTestError("no free loopback port: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A connected socket with 5 s send and receive timeouts; throws with errno's text.
    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw DaemonTestError("connect 127.0.0.1:\(port): \(why)")
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Everything until the server closes (or 5 s pass: then what came so far).
    static func readToEnd(_ fd: Int32) -> [UInt8] {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return all }
            all += chunk[0..<n]
        }
    }

    /// Sends `request` on a new connection and reads the whole response.
    static func exchange(port: UInt16, _ request: String) throws -> Response {
        let fd = try connect(port: port)
        defer { close(fd) }
        guard send(fd, request) else { throw DaemonTestError("send: \(String(cString: strerror(errno)))") }
        return try parse(readToEnd(fd))
    }

    static func scrape(port: UInt16) throws -> (Response, PrometheusText) {
        let response = try exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n")
        guard response.status == 200 else { throw DaemonTestError("GET /metrics: \(response.status) \(response.body)") }
        return (response, try PrometheusText(response.body))
    }

    static func parse(_ bytes: [UInt8]) throws -> Response {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw DaemonTestError("no complete response head in \(text.debugDescription)") }
        var lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw DaemonTestError("bad status line in \(text.debugDescription)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw DaemonTestError("bad header \(line)") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = String(text[split.upperBound...])
        guard headers["content-length"] == "\(body.utf8.count)" else {
            throw DaemonTestError("Content-Length \(headers["content-length"] ?? "none") for a \(body.utf8.count)-byte body")
        }
        return Response(status: status, headers: headers, body: body)
    }
}
