#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Logging
@testable import MetricsExport
import Prometheus
import Testing

/// MetricsServer driven by hand (what the daemon's loop does): a client that never reads a large
/// response holds nothing; it is dropped at the response deadline while another is served.
@Suite struct MetricsServerTests {
    static func client(port: UInt16, receiveBuffer: Int32? = nil) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(r == 0)
        let request = Array("GET /metrics HTTP/1.1\r\n\r\n".utf8)
        #expect(request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == request.count)
        return fd
    }

    @Test func aClientThatNeverReadsItsResponseIsDroppedAtTheDeadlineWhileAnotherIsServed() throws {
        var limits = MetricsServer.Limits()
        limits.responseDeadlineNanoseconds = 300_000_000
        let server = try MetricsServer(listener: TCPListener(host: "127.0.0.1", port: 0, ipv6: false),
                                       registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"), limits: limits)
        defer { server.close() }
        // The first response is far larger than any socket buffer; the later ones are small.
        var rendered = 0
        let render: () -> [UInt8] = {
            rendered += 1
            return rendered == 1 ? [UInt8](repeating: 0x41, count: 64 << 20) : Array("x 1\n".utf8)
        }
        func turn() {
            server.acceptReady()
            server.serviceReady(render: render)
            server.expire()
            usleep(1000)
        }
        let stuck = Self.client(port: server.listener.port, receiveBuffer: 4096)
        defer { close(stuck) }
        let start = MonotonicClock.nanoseconds()
        while rendered == 0 && MonotonicClock.nanoseconds() - start < 1_000_000_000 { turn() }
        for _ in 0..<20 { turn() }
        #expect(server.connectionCount == 1, "the never-reading client is still being written to")

        // Positive control: another client gets its whole response meanwhile.
        let reader = Self.client(port: server.listener.port)
        defer { close(reader) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var ended = false
        let readerStart = MonotonicClock.nanoseconds()
        while !ended && MonotonicClock.nanoseconds() - readerStart < 250_000_000 {
            turn()
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(reader, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 { response += chunk[0..<n]; continue }
                ended = n == 0
                break
            }
        }
        #expect(ended && String(decoding: response, as: UTF8.self).hasSuffix("\r\n\r\nx 1\n"))
        #expect(server.dropped == 0 && server.connectionCount == 1)

        // The stuck one goes at its deadline (300 ms after its response was ready), not before.
        while server.connectionCount > 0 && MonotonicClock.nanoseconds() - start < 2_000_000_000 { turn() }
        let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(server.connectionCount == 0 && server.dropped == 1)
        #expect(seconds >= 0.3 && seconds < 1, "dropped after \(seconds) s")
        print("measured: a never-reading client of a 64 MiB response dropped \(seconds) s after connecting (deadline 0.3 s); another client served meanwhile")
    }
}
