#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import VhostTestFrontEnd

/// `yardctl capture` end to end through a real daemon (docs/capture.md): the filter runs in the
/// daemon, the pcap file is classic pcap, the end reports its counts, refusals are sentences.
@Suite(.serialized) struct CaptureDaemonTests {
    /// An IPv4 frame of `proto` (17 UDP, 6 TCP) from vm1's guest, or an ARP frame.
    static func frame(proto: UInt8?, to destination: [UInt8] = YardctlFrames.broadcast) -> [UInt8] {
        var f = destination + YardctlFrames.mac(1)
        guard let proto else { return f + [0x08, 0x06] + [UInt8](repeating: 0, count: 28) }
        f += [0x08, 0x00, 0x45, 0, 0, 48, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        return f + [UInt8](repeating: 0x5A, count: 28)
    }

    /// A `yardctl capture` running in the background, its stderr in a file (the "capturing on"
    /// line says the daemon took the request; the summary comes at the end).
    final class Running {
        let process = Process()
        let stdout = Pipe()
        let stderrPath: String
        init(_ d: DaemonProcess, _ arguments: [String]) throws {
            stderrPath = d.directory.appendingPathComponent("capture-\(UUID().uuidString.prefix(6)).err").path
            FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = try DaemonProcess.executable("yardctl")
            process.arguments = ["capture"] + arguments + ["--socket", d.controlSocket]
            process.standardOutput = stdout
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            try process.run()
            try waitFor("the capture to start") { self.stderr.contains("capturing on") || !self.process.isRunning }
        }
        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        /// Waits for the exit (a deadline, never forever); true if it exited.
        func exited(within seconds: Double = 10) -> Bool {
            if (try? waitFor("yardctl capture to exit", timeout: seconds) { !self.process.isRunning }) != nil { return true }
            kill(process.processIdentifier, SIGKILL)
            return false
        }

        // SIGKILL: the test runner's blocked signals (SIGTERM among them) pass on to its children.
        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// Frame records of a classic pcap file: (original length, bytes).
    static func pcapRecords(_ path: String) throws -> [(Int, [UInt8])] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(data.count >= 24)
        #expect(Array(data[0..<4]) == [0xD4, 0xC3, 0xB2, 0xA1])  // little-endian, microseconds
        #expect(data[20] == 1)  // LINKTYPE_ETHERNET
        func word(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24 }
        var records: [(Int, [UInt8])] = []
        var at = 24
        while at + 16 <= data.count {
            let captured = word(at + 8)
            records.append((word(at + 12), Array(data[(at + 16)..<(at + 16 + captured)])))
            at += 16 + captured
        }
        #expect(at == data.count)
        return records
    }

    @Test func writesOnlyTheFramesTheFilterSelectsToAPcapFile() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let vm1 = try d.connectGuest("vm1")
        let vm2 = try d.connectGuest("vm2")
        let file = d.directory.appendingPathComponent("udp.pcap").path
        let capture = try Running(d, ["vm1", "-c", "5", "-w", file, "--direction", "in", "udp"])
        #expect(capture.process.isRunning, "\(capture.stderr)")
        // UDP, TCP and ARP alternate until the capture has its five UDP frames.
        let kinds: [UInt8?] = [17, 6, nil]
        var sent = 0
        try waitFor("five UDP frames captured") {
            if !capture.process.isRunning { return true }
            try? vm1.send(frame: CaptureDaemonTests.frame(proto: kinds[sent % 3]))
            sent += 1
            _ = try? vm2.receivedFrames()
            _ = vm1.reclaimTransmitted()
            return false
        }
        #expect(capture.exited())
        #expect(capture.process.terminationStatus == 0)
        let records = try CaptureDaemonTests.pcapRecords(file)
        #expect(records.count == 5)
        #expect(records.allSatisfy { $0.1 == CaptureDaemonTests.frame(proto: 17) && $0.0 == $0.1.count })
        // The end: five captured, the others counted as filtered out.
        #expect(capture.stderr.contains("capture ended (5 frames): 5 frames captured"), "\(capture.stderr)")
        let filteredOut = capture.stderr.split(separator: " ").firstIndex(of: "filtered").map { i in
            Int(capture.stderr.split(separator: " ")[i - 1]) ?? 0
        } ?? 0
        #expect(filteredOut >= 8, "\(capture.stderr)")
    }

    @Test func printsOneLinePerFrameAndEndsOnSIGINTWithItsSummary() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let vm1 = try d.connectGuest("vm1")
        let vm2 = try d.connectGuest("vm2")
        let capture = try Running(d, ["vm2", "--direction", "out"])
        try vm1.send(frame: CaptureDaemonTests.frame(proto: 17))
        var lines = ""
        try waitFor("a summary line") {
            _ = try? vm2.receivedFrames()
            lines += String(decoding: capture.stdout.fileHandleForReading.availableData, as: UTF8.self)
            return lines.contains("\n")
        }
        // Delivered to the trunk in VLAN 10: tagged, as vm2 gets it.
        #expect(lines.contains("vm2 out 52:54:00:c1:00:01 > ff:ff:ff:ff:ff:ff, vlan 10, IPv4 10.0.0.1 > 10.0.0.2 UDP, length 66"),
                "\(lines)")
        capture.process.interrupt()
        #expect(capture.exited())
        #expect(capture.process.terminationStatus == 0)
        #expect(capture.stderr.contains("capture ended (stopped by the client): 1 frames captured, 0 filtered out, 0 lost"),
                "\(capture.stderr)")
    }

    @Test func refusesABadFilterAndAnUnknownPortWithSentences() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let bad = try d.yardctl("capture", "vm1", "tcp", "port", "nonsense")
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("yardctl: bad capture filter 'tcp port nonsense': "), "\(bad.stderr)")
        let unknown = try d.yardctl("capture", "vm3", "icmp")
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "yardctl: no port named vm3 (ports: vm1, vm2)\n", "\(unknown.stderr)")
        // Positive control: a good filter on a known port is accepted (and ends at its count).
        let vm1 = try d.connectGuest("vm1")
        let capture = try Running(d, ["vm1", "-c", "1", "-w", d.directory.appendingPathComponent("ok.pcap").path, "icmp or udp"])
        try waitFor("one frame") {
            try? vm1.send(frame: CaptureDaemonTests.frame(proto: 17))
            _ = vm1.reclaimTransmitted()
            return !capture.process.isRunning
        }
        #expect(capture.exited())
        #expect(capture.process.terminationStatus == 0)
        #expect(try CaptureDaemonTests.pcapRecords(d.directory.appendingPathComponent("ok.pcap").path).count == 1)
    }
}
