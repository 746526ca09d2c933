import Capture
import Foundation
import Testing
import TestSupport

@Suite struct CaptureTests {
    private func temporaryFile(_ tag: String) -> String {
        "/tmp/switchyard-capture-\(getpid())-\(tag)-\(UInt32.random(in: 0 ... .max)).pcap"
    }

    @Test func writesFramesThatTcpdumpDecodes() throws {
        let path = temporaryFile("decode")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet, snaplen: 65535)
        #expect(writer.write(frame: CaptureFrames.arpRequest, timestamp: PcapTimestamp(seconds: 1_700_000_000, microseconds: 1)))
        #expect(writer.write(frame: CaptureFrames.dnsQuery, timestamp: PcapTimestamp(seconds: 1_700_000_000, microseconds: 2)))
        try writer.flush()
        writer.close()
        #expect(!writer.write(frame: CaptureFrames.arpRequest, timestamp: .now))

        let result = try run("tcpdump", ["-tt", "-n", "-r", path])
        #expect(result.status == 0, "tcpdump failed: \(result.output)")
        let lines = result.output.split(separator: "\n").filter { $0.hasPrefix("1700000000.") }
        #expect(lines.count == 2, "\(result.output)")
        #expect(lines.first?.contains("1700000000.000001 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28") == true,
                "\(result.output)")
        #expect(lines.last?.contains("1700000000.000002 IP 10.0.0.1.40000 > 10.0.0.2.53: 4660+ A? example.com. (29)") == true,
                "\(result.output)")
        // tcpdump applying the same expression agrees with our user-space filter below.
        let filtered = try run("tcpdump", ["-tt", "-n", "-r", path, "udp port 53"])
        #expect(filtered.output.split(separator: "\n").filter { $0.hasPrefix("1700000000.") }.count == 1)
    }

    @Test func cutsFramesToSnaplenButKeepsTheirLength() throws {
        let path = temporaryFile("snaplen")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path, snaplen: 34)
        writer.write(frame: CaptureFrames.dnsQuery, timestamp: PcapTimestamp(seconds: 1_700_000_000, microseconds: 0))
        writer.close()
        let result = try run("tcpdump", ["-tt", "-n", "-e", "-r", path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("length \(CaptureFrames.dnsQuery.count)"), "\(result.output)")
        #expect(result.output.contains("[|udp]") || result.output.contains("truncated"), "\(result.output)")
    }

    @Test func reportsAnUnwritablePath() {
        #expect(throws: CaptureError.self) { try PcapWriter(path: "/nonexistent-dir/x.pcap") }
    }

    @Test func bpfFilterMatchesDNSButNotARP() throws {
        let dns = try PcapFilter(expression: "udp port 53")
        #expect(dns.matches(frame: CaptureFrames.dnsQuery))
        #expect(!dns.matches(frame: CaptureFrames.arpRequest))
        let arp = try PcapFilter(expression: "arp and ether src 02:00:00:00:00:0a")
        #expect(arp.matches(frame: CaptureFrames.arpRequest))
        #expect(!arp.matches(frame: CaptureFrames.dnsQuery))
        #expect(!dns.matches(frame: []))
    }

    @Test func rejectsAMalformedFilterWithPcapsMessage() {
        do {
            _ = try PcapFilter(expression: "udp port banana and")
            Issue.record("malformed expression compiled")
        } catch {
            #expect(error.message.isEmpty == false)
            #expect(error.operation.contains("udp port banana"))
        }
    }
}
