import ArgumentParser
import Capture
import ControlClient
import ControlProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT while a capture runs: the capture is ended by the daemon and its summary shown.
private let interrupted = Atomic<Bool>(false)

/// `yardctl capture`: a live capture of one port, filtered in the daemon (docs/capture.md).
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture a port's frames live, filtered with a tcpdump expression in the daemon.",
        discussion: """
            Captures frames the port sends into the switch (in) and frames the switch delivers to it \
            (out, as delivered: with the port's 802.1Q tag). FILTER is a tcpdump expression compiled \
            by libpcap and applied in the daemon. -w FILE writes a pcap file (-w - to stdout: \
            yardctl capture vm1 -w - icmp | tshark -r -); without -w, one line per frame. The capture \
            ends after -c frames, on Ctrl-C or when the reader goes away; its end prints on stderr \
            how many frames were captured, filtered out and lost (the ring was full because the \
            reader was slower than the traffic: the switch never waits for a capture).
            """)

    @ParentCommand var yardctl: Yardctl

    @Argument(help: "The port to capture (any type: vhost-user, uplink, tap).", completion: portNames)
    var port: String

    @Argument(help: ArgumentHelp("A tcpdump filter expression (pcap-filter(7)).", valueName: "filter"))
    var filter: [String] = []

    @Option(name: .long, help: ArgumentHelp("Which frames: in (sent by the port), out (delivered to it) or both.",
                                            valueName: "in|out|both"))
    var direction: String = "both"

    @Option(name: .long, help: "Only frames switched in this VLAN (1-4094).")
    var vlan: UInt16?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many frames passed the filter.", valueName: "count"))
    var count: Int?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write a pcap file; - writes it to stdout.", valueName: "file"),
            completion: .file())
    var write: String?

    @Option(name: [.customShort("s"), .customLong("snaplen")], help: "Bytes kept of each frame (64-65535).")
    var snaplen: Int = CaptureRequest.defaultSnaplen

    func validate() throws {
        guard ["in", "out", "both"].contains(direction) else {
            throw ValidationError("--direction must be in, out or both, not '\(direction)'")
        }
        if let vlan, !(1...4094).contains(vlan) { throw ValidationError("--vlan must be 1 to 4094, not \(vlan)") }
        if let count, count < 1 { throw ValidationError("-c must be at least 1, not \(count)") }
        guard (64...65_535).contains(snaplen) else { throw ValidationError("--snaplen must be 64 to 65535, not \(snaplen)") }
    }

    func run() throws {
        let connection = yardctl.connection
        // A reader that goes away (`| head`) is an end of the capture, not a crash.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
        // A parent that blocks SIGINT (test runners, some shells' background jobs) passes the mask
        // on; Ctrl-C must still end the capture with its summary.
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
        let request = CaptureRequest(port: port, direction: direction, vlan: vlan, count: count,
                                     filter: filter.isEmpty ? nil : filter.joined(separator: " "), snaplen: snaplen)
        let client: CaptureClient
        do { client = try CaptureClient(socketPath: connection.socket, request: request) } catch {
            exitWithError("yardctl: \(error)")
        }
        var writer: PcapWriter?
        if let write {
            do { writer = try PcapWriter(path: write, snaplen: Int32(snaplen)) } catch {
                client.stop()
                exitWithError("yardctl: cannot write \(write): \(error.message)")
            }
        }
        let toStdout = write == "-"
        let watchesStdout = write == nil || toStdout
        // On stderr, also with -w -: scripts wait for it to know the daemon took the capture.
        note("capturing on \(port)\(filter.isEmpty ? "" : " (\(filter.joined(separator: " ")))"), Ctrl-C ends")
        while true {
            let record: CaptureRecord
            do { record = try client.next { interrupted.load(ordering: .relaxed) || (watchesStdout && readerGone()) } } catch {
                writer?.close()
                exitWithError("yardctl: \(error)")
            }
            switch record {
            case .frame(let direction, let seconds, let microseconds, let originalLength, let bytes):
                if let writer {
                    writer.write(frame: bytes, timestamp: PcapTimestamp(seconds: Int(seconds), microseconds: Int(microseconds)),
                                 originalLength: Int(originalLength))
                    if toStdout { do { try writer.flush() } catch { client.stop() } }
                } else {
                    print(CaptureLine.render(port: port, direction: direction, seconds: seconds, microseconds: microseconds,
                                             originalLength: originalLength, bytes: bytes))
                    if fflush(nil) != 0 { client.stop() }
                }
            case .end(let summary):
                writer?.close()
                note(summary.sentence)
                return
            }
        }
    }

    /// True once nobody reads our stdout any more (a pipe whose reader exited reports POLLERR):
    /// noticed while no frame comes, not only at the next write.
    private func readerGone() -> Bool {
        var p = pollfd(fd: 1, events: 0, revents: 0)
        return poll(&p, 1, 0) > 0 && p.revents & Int16(POLLERR) != 0
    }

    private func note(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
