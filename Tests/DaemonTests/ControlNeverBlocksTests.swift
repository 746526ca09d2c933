#if canImport(Glibc)
import Glibc
#endif
import ControlClient
import ControlProtocol
import Foundation
import LinuxIO
import Testing

/// No control client can hold the daemon's main loop (docs/never-blocking.md): idle or
/// never-reading clients cost a slot each and are dropped at their deadline, while `yardctl`
/// and signals are served at once.
@Suite(.serialized)
struct ControlNeverBlocksTests {
    func sent(_ r: IOResult<Void>) -> Bool {
        if case .ok = r { return true }
        return false
    }

    /// Seconds `body` took.
    func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = MonotonicClock.nanoseconds()
        let value = try body()
        return (value, Double(MonotonicClock.nanoseconds() - start) / 1e9)
    }

    /// `count` clients that connect, send one byte of a request and then say nothing.
    func idleClients(_ d: DaemonProcess, count: Int) throws -> [UnixSocket] {
        try (0..<count).map { _ in
            let s = try UnixSocket.connect(to: d.controlSocket).get()
            #expect(sent(s.send([UInt8(ascii: "{")])))
            return s
        }
    }

    func portsAnswer(_ d: DaemonProcess) throws -> Bool {
        guard case .ports(let ports) = try d.request(.ports) else { return false }
        return ports.map(\.name) == ["vm1", "vm2"]
    }

    @Test func twoHundredIdleClientsDoNotDelayYardctl() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        // Positive control: answered at once with nobody else connected.
        let (before, beforeSeconds) = try timed { try portsAnswer(d) }
        #expect(before && beforeSeconds < 1)

        let idle = try idleClients(d, count: 200)
        let (answered, seconds) = try timed { try portsAnswer(d) }
        #expect(answered)
        #expect(seconds < 1, "ports took \(seconds) s with 200 idle clients")
        let (tool, toolSeconds) = try timed { try runTool("yardctl", ["ports", "--socket", d.controlSocket]) }
        #expect(tool.status == 0 && tool.output.contains("vm1"))
        #expect(toolSeconds < 1, "yardctl ports took \(toolSeconds) s with 200 idle clients")
        print("measured: ports answered in \(beforeSeconds) s alone, \(seconds) s (request) and \(toolSeconds) s (yardctl process) with 200 idle clients")

        // The idle clients do not stay forever: each is closed at its 2 s request deadline
        // (or earlier, evicted by the cap).
        Thread.sleep(forTimeInterval: 2.5)
        let closed = idle.filter { s in
            var byte: UInt8 = 0
            let n = recv(s.rawValue, &byte, 1, Int32(MSG_DONTWAIT))
            // End of stream, or a reset for one evicted before its byte was read.
            return n == 0 || (n < 0 && errno != EAGAIN)
        }.count
        #expect(closed == idle.count)
        #expect(try d.stop().status == 0)
    }

    @Test func aClientThatNeverReadsABigReplyDoesNotBlockTheNext() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let entries = 4000
        for i in 0..<entries {
            let mac = String(format: "52:54:00:01:%02x:%02x", i >> 8, i & 0xFF)
            guard case .done = try d.request(.fdbAdd(port: "vm1", vlan: 10, mac: mac)) else {
                throw DaemonTestError("fdb add \(mac) failed")
            }
        }
        // Positive control: a reader gets the whole table, far more than a socket buffer holds.
        guard case .fdb(let table) = try d.request(.fdbShow(vlan: nil, port: nil)) else { throw DaemonTestError("no fdb") }
        #expect(table.entries.count == entries)
        let replyBytes = try ControlCodec.encodeLine(ControlResponse.fdb(table)).count
        #expect(replyBytes > 256 * 1024)

        // The stuck reader: asks for the table and never reads a byte of it.
        let stuck = try UnixSocket.connect(to: d.controlSocket).get()
        #expect(sent(stuck.send(try ControlCodec.encodeLine(ControlRequest.fdbShow(vlan: nil, port: nil)))))
        usleep(100_000)
        let (answered, seconds) = try timed { try portsAnswer(d) }
        #expect(answered)
        #expect(seconds < 1, "ports took \(seconds) s behind a client that never reads")
        print("measured: ports answered in \(seconds) s behind a never-reading client of a \(replyBytes)-byte reply")
        // Dropped at its reply deadline: whatever was queued, then end of stream.
        Thread.sleep(forTimeInterval: 2.5)
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(stuck.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 {
                #expect(n == 0, "the daemon should have closed the never-reading client")
                break
            }
            total += n
        }
        #expect(total < replyBytes)
        #expect(try d.stop().status == 0)
    }

    @Test func anOversizeRequestIsCutOffAtItsLimit() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let big = try UnixSocket.connect(to: d.controlSocket).get()
        // 64 KiB and more without a newline: closed as soon as the limit is passed, not at 2 s.
        let (_, seconds) = try timed { () throws -> Void in
            #expect(sent(big.send([UInt8](repeating: UInt8(ascii: "x"), count: 80 * 1024))))
            var byte: UInt8 = 0
            var tv = timeval(tv_sec: 3, tv_usec: 0)
            setsockopt(big.rawValue, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let n = recv(big.rawValue, &byte, 1, 0)
            #expect(n == 0 || (n < 0 && errno == ECONNRESET))
        }
        #expect(seconds < 1, "the oversize request was cut off after \(seconds) s")
        // Positive control: a request of ordinary size is answered.
        #expect(try portsAnswer(d))
        #expect(try d.stop().status == 0)
    }

    @Test func sigtermWithTwoHundredIdleClientsStopsWithinASecond() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        #expect(try portsAnswer(d))
        let idle = try idleClients(d, count: 200)
        let (_, seconds) = try timed {
            d.signal(SIGTERM)
            try waitFor("daemon exit", timeout: 5) { !d.process.isRunning }
        }
        #expect(seconds < 1, "SIGTERM took \(seconds) s with 200 idle clients")
        print("measured: SIGTERM with 200 idle clients: exited after \(seconds) s")
        #expect(d.process.terminationStatus == 0)
        _ = idle.count
    }
}
