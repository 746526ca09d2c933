#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Foundation
import LinuxIO
import TestSupport
import Testing
import VhostTestFrontEnd

/// `switch.metrics` end to end (docs/metrics.md): the real daemon, guests played by the in-process
/// front-end, `/metrics` scraped over TCP and parsed as Prometheus text.
@Suite(.serialized) struct MetricsDaemonTests {
    /// a and b share VLAN 10; c is alone in VLAN 20, so nothing a sends can reach it.
    static func yaml(port: UInt16) -> String {
        """
        switch:
          socket-directory: SOCKDIR
          control-socket: SOCKDIR/control.sock
          metrics: { listen: "127.0.0.1:\(port)" }
        ports:
          - { name: a, type: vhost-user, socket: a.sock, vlan: { access: 10 } }
          - { name: b, type: vhost-user, socket: b.sock, vlan: { access: 10 } }
          - { name: c, type: vhost-user, socket: c.sock, vlan: { access: 20 } }
        """
    }

    static func guest(_ d: DaemonProcess, _ name: String) throws -> TestFrontEnd {
        // The port sockets appear after the control socket DaemonProcess waits for.
        let path = d.directory.appendingPathComponent("\(name).sock").path
        try waitFor("\(name).sock") { FileManager.default.fileExists(atPath: path) }
        let fe = try TestFrontEnd(connectingTo: path)
        _ = try fe.negotiate()
        try fe.start()
        try fe.sync()
        return fe
    }

    /// Scrapes until `done` holds for the parsed text (snapshots come once a second), or 4 s pass.
    static func scrape(port: UInt16, until done: (PrometheusText) -> Bool) throws -> PrometheusText {
        let deadline = Date().addingTimeInterval(4)
        while true {
            let (_, text) = try MetricsClient.scrape(port: port)
            if done(text) || Date() > deadline { return text }
            usleep(100_000)
        }
    }

    static func seconds(since start: UInt64) -> Double { Double(MonotonicClock.nanoseconds() - start) / 1e9 }

    @Test func perPortCountersMoveWithTrafficAndAPortWithoutTrafficStaysAtZero() throws {
        let port = try MetricsClient.freePort()
        let d = try DaemonProcess(yaml: Self.yaml(port: port))
        let a = try Self.guest(d, "a"), b = try Self.guest(d, "b"), c = try Self.guest(d, "c")
        let frame: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0x00, 0x00, 0x0A, 0x08, 0x00]
            + [UInt8](repeating: 0x5A, count: 50)
        // Warm-up until b's RX ring takes frames; then a fresh snapshot (a ports request publishes
        // one) so the base below counts every warm-up frame.
        #expect(try deliver(frame, from: a, to: b))
        while try !b.receivedFrames().isEmpty {}
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports reply") }
        let (response, base) = try MetricsClient.scrape(port: port)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.headers["connection"] == "close")
        // The endpoint and yardctl read the same snapshots.
        for p in ports {
            #expect(base.value("switchyard_port_rx_frames_total", ["port": p.name]) == Double(p.counters.rxFrames), "\(p.name)")
            #expect(base.value("switchyard_port_tx_frames_total", ["port": p.name]) == Double(p.counters.txFrames), "\(p.name)")
        }
        let rxBase = try #require(base.value("switchyard_port_rx_frames_total", ["port": "a"]))
        let rxBytesBase = try #require(base.value("switchyard_port_rx_bytes_total", ["port": "a"]))
        let txBase = try #require(base.value("switchyard_port_tx_frames_total", ["port": "b"]))
        #expect(rxBase >= 1 && txBase >= 1)

        // Ten more frames, each received by b.
        var received = 0
        for _ in 0..<10 {
            _ = a.reclaimTransmitted()
            try a.send(frame: frame)
            let until = Date().addingTimeInterval(2)
            var got = 0
            while got == 0 && Date() < until { got = try b.receivedFrames().count; if got == 0 { usleep(200) } }
            received += got
        }
        #expect(received == 10)
        let after = try Self.scrape(port: port) { $0.value("switchyard_port_rx_frames_total", ["port": "a"]) == rxBase + 10 }
        // Positive: a's receive side and b's transmit side moved by exactly the ten frames.
        #expect(after.value("switchyard_port_rx_frames_total", ["port": "a"]) == rxBase + 10)
        #expect(after.value("switchyard_port_rx_bytes_total", ["port": "a"]) == rxBytesBase + Double(10 * frame.count))
        #expect(after.value("switchyard_port_tx_frames_total", ["port": "b"]) == txBase + 10)
        #expect(after.value("switchyard_port_flooded_frames_total", ["port": "a"]) == rxBase + 10)
        #expect((after.value("switchyard_datapath_frames_total") ?? 0) >= rxBase + 10)
        #expect((after.value("switchyard_datapath_busy_turns_total") ?? 0) >= 1)
        #expect((after.value("switchyard_fdb_learned_total") ?? 0) >= 1)
        #expect(after.value("switchyard_port_fdb_entries", ["port": "a"]) == 1)
        // Negative, with c running and served (its state series say so): nothing moved on c.
        #expect(after.value("switchyard_port_state", ["port": "c", "state": "running"]) == 1)
        #expect(after.value("switchyard_port_queue_pairs_enabled", ["port": "c"]) == 1)
        for metric in ["rx_frames", "rx_bytes", "tx_frames", "tx_bytes", "rx_dropped_frames", "tx_dropped_frames"] {
            #expect(after.value("switchyard_port_\(metric)_total", ["port": "c"]) == 0, "c \(metric)")
        }
        #expect(try c.receivedFrames().isEmpty)
        #expect(!after.samples.contains { $0.name == "switchyard_port_dropped_frames_total" && $0.labels["port"] == "c" })
        #expect((after.value("switchyard_snapshot_sequence") ?? 0) > (base.value("switchyard_snapshot_sequence") ?? 0))
        a.disconnect(); b.disconnect(); c.disconnect()
        #expect(try d.stop().status == 0)
    }

    @Test func aClientThatSendsNothingIsDroppedAtItsDeadlineWhileOthersAreAnswered() throws {
        let port = try MetricsClient.freePort()
        let d = try DaemonProcess(yaml: Self.yaml(port: port))
        // Positive control: a scrape with nobody else connected.
        _ = try MetricsClient.scrape(port: port)
        let start = MonotonicClock.nanoseconds()
        let silent = try MetricsClient.connect(port: port)
        let partial = try MetricsClient.connect(port: port)
        defer { close(silent); close(partial) }
        #expect(MetricsClient.send(partial, "GET /metr"))
        usleep(200_000)
        let (_, text, scrapeSeconds) = try Self.timedScrape(port: port)
        #expect(text.value("switchyard_ports") == 3)
        #expect(scrapeSeconds < 0.5, "a scrape took \(scrapeSeconds) s beside two silent clients")
        // Still open after the scrape: the deadline, not the scrape, ends them...
        var byte: UInt8 = 0
        for fd in [silent, partial] {
            let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
            #expect(n < 0 && errno == EAGAIN, "a silent client was closed before its deadline")
        }
        // ...which falls 2 s after the accept (blocking reads, 5 s timeout: they return at the close).
        for fd in [silent, partial] {
            let n = recv(fd, &byte, 1, 0)
            #expect(n == 0, "expected end of stream from the daemon, got \(n) (errno \(errno))")
        }
        let closedAfter = Self.seconds(since: start)
        #expect(closedAfter >= 1.5 && closedAfter < 3.5, "silent clients closed after \(closedAfter) s (deadline 2 s)")

        // More silent clients than the connection cap (16): the oldest readers make room, and a
        // scrape is answered at once all the same.
        let crowd = try (0..<40).map { _ in try MetricsClient.connect(port: port) }
        defer { crowd.forEach { close($0) } }
        usleep(200_000)
        let (_, _, crowdSeconds) = try Self.timedScrape(port: port)
        #expect(crowdSeconds < 0.5, "a scrape took \(crowdSeconds) s behind 40 silent clients")
        print("measured: metrics scrape answered in \(scrapeSeconds) s beside 2 silent clients, \(crowdSeconds) s behind 40; silent clients closed after \(closedAfter) s")
        let (_, later) = try MetricsClient.scrape(port: port)
        #expect((later.value("switchyard_metrics_connections_dropped_total", ["reason": "request-deadline"]) ?? 0) >= 2)
        #expect((later.value("switchyard_metrics_connections_dropped_total", ["reason": "connection-cap"]) ?? 0) >= 24)
        #expect((later.value("switchyard_metrics_requests_total", ["code": "200"]) ?? 0) >= 3)
        // SIGTERM with the crowd still connected: stops at once.
        let stopStart = MonotonicClock.nanoseconds()
        #expect(try d.stop().status == 0)
        #expect(Self.seconds(since: stopStart) < 1)
    }

    static func timedScrape(port: UInt16) throws -> (MetricsClient.Response, PrometheusText, Double) {
        let start = MonotonicClock.nanoseconds()
        let (response, text) = try MetricsClient.scrape(port: port)
        return (response, text, seconds(since: start))
    }

    @Test func onlyGETOfMetricsIsAnsweredAndAnOversizeHeadIsRefused() throws {
        let port = try MetricsClient.freePort()
        let d = try DaemonProcess(yaml: Self.yaml(port: port))
        let ok = try MetricsClient.exchange(port: port, "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(ok.status == 200 && ok.body.contains("switchyard_port_rx_frames_total{port=\"a\"} 0"))
        #expect(try MetricsClient.exchange(port: port, "GET / HTTP/1.1\r\n\r\n").status == 404)
        #expect(try MetricsClient.exchange(port: port, "GET /favicon.ico HTTP/1.1\r\n\r\n").status == 404)
        let post = try MetricsClient.exchange(port: port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        #expect(post.status == 405 && post.headers["allow"] == "GET")
        #expect(try MetricsClient.exchange(port: port, "HEAD /metrics HTTP/1.1\r\n\r\n").status == 405)
        #expect(try MetricsClient.exchange(port: port, "GET /metrics HTTP/2.0\r\n\r\n").status == 505)
        #expect(try MetricsClient.exchange(port: port, "hello\r\n\r\n").status == 400)
        // 16 KiB of headers: refused at once (431 or a reset), well before the 2 s deadline.
        let start = MonotonicClock.nanoseconds()
        let fd = try MetricsClient.connect(port: port)
        _ = MetricsClient.send(fd, "GET /metrics HTTP/1.1\r\n" + String(repeating: "X-Pad: \(String(repeating: "y", count: 100))\r\n", count: 160))
        let answer = String(decoding: MetricsClient.readToEnd(fd), as: UTF8.self)
        close(fd)
        #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 431 "), "\(answer)")
        #expect(Self.seconds(since: start) < 1)
        // And the endpoint still serves.
        #expect(try MetricsClient.scrape(port: port).0.status == 200)
        #expect(try d.stop().status == 0)
    }

    @Test func withoutTheKeyNothingListensAndABusyPortFailsTheStartWithItsAddress() throws {
        let port = try MetricsClient.freePort()
        // Positive control: with the key, the port answers.
        let on = try DaemonProcess(yaml: Self.yaml(port: port))
        #expect(try MetricsClient.scrape(port: port).0.status == 200)
        #expect(try on.stop().status == 0)
        // Without it: nothing listens there.
        let off = try DaemonProcess(yaml: twoPorts)
        #expect(throws: DaemonTestError.self) { _ = try MetricsClient.connect(port: port) }
        #expect(try off.stop().status == 0)
        // A port already taken: the daemon does not start, and says where it could not listen.
        let taken = try TCPListener(host: "127.0.0.1", port: 0, ipv6: false)
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sy-metrics-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("switchyard.yaml").path
        try Self.yaml(port: taken.port).replacingOccurrences(of: "SOCKDIR", with: dir.path)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let r = try runTool("switchyard", ["--config", config])
        #expect(r.status == 1)
        #expect(r.output.contains("metrics: cannot listen on 127.0.0.1:\(taken.port): Address already in use"), "\(r.output)")
        taken.close()
    }
}
