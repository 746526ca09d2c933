@testable import MetricsExport
import Testing

/// The endpoint's HTTP: one `GET /metrics` per connection, everything else refused with a status.
@Suite struct HTTPExchangeTests {
    func head(_ text: String) -> HTTPExchange.Parse { HTTPExchange.parse(Array(text.utf8)) }

    @Test func aHeadIsCompleteOnlyAtItsEmptyLine() {
        #expect(head("GET /metrics HTTP/1.1\r\nHost: x\r\n") == .incomplete)
        #expect(head("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == .request(method: "GET", target: "/metrics", version: "HTTP/1.1"))
        // A lenient client's bare LFs, and HTTP/1.0 without headers.
        #expect(head("GET /metrics HTTP/1.0\n\n") == .request(method: "GET", target: "/metrics", version: "HTTP/1.0"))
        #expect(head("GET /metrics\r\n\r\n") == .malformed)
        #expect(head("GET  /metrics HTTP/1.1\r\n\r\n") == .malformed)
        #expect(head("\u{1}\u{2}\r\n\r\n") == .malformed)
    }

    @Test func onlyGETOfMetricsIsServed() {
        #expect(HTTPExchange.status(method: "GET", target: "/metrics", version: "HTTP/1.1") == .ok)
        #expect(HTTPExchange.status(method: "GET", target: "/metrics?name[]=x", version: "HTTP/1.0") == .ok)
        #expect(HTTPExchange.status(method: "GET", target: "/", version: "HTTP/1.1") == .notFound)
        #expect(HTTPExchange.status(method: "GET", target: "/metrics/", version: "HTTP/1.1") == .notFound)
        #expect(HTTPExchange.status(method: "POST", target: "/metrics", version: "HTTP/1.1") == .methodNotAllowed)
        #expect(HTTPExchange.status(method: "HEAD", target: "/metrics", version: "HTTP/1.1") == .methodNotAllowed)
        #expect(HTTPExchange.status(method: "GET", target: "/metrics", version: "HTTP/2.0") == .versionNotSupported)
        #expect(HTTPExchange.status(method: "GET", target: "/metrics", version: "SPDY/3") == .badRequest)
    }

    @Test func responsesCarryTheirLengthAndCloseTheConnection() {
        let ok = String(decoding: HTTPExchange.response(.ok, body: Array("a 1\n".utf8)), as: UTF8.self)
        #expect(ok == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: 4\r\nConnection: close\r\n\r\na 1\n")
        let refused = String(decoding: HTTPExchange.response(.methodNotAllowed), as: UTF8.self)
        #expect(refused.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(refused.contains("\r\nAllow: GET\r\n") && refused.contains("\r\nConnection: close\r\n"))
        #expect(refused.hasSuffix("\r\n\r\n405 Method Not Allowed\n"))
    }
}
