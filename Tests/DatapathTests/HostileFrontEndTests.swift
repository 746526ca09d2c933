#if canImport(Glibc)
import Glibc
#endif
@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Hostile inputs beyond issue #9's list, each sent by a front-end over a real socket against a
/// real engine thread: a message whose payload disagrees with its request, descriptors a request
/// does not take, impossible ring sizes, addresses, bases and indexes, features never offered,
/// requests we do not support (logging, the back-end channel), memory tables that cannot be
/// mapped, more regions than slots, rings whose indexes run away, descriptor loops.
///
/// Every attack is followed by the same checks (`survive`): the attacker got a clear refusal
/// (nack or closed connection), the bystanders a and b still switch both ways, the attacker's
/// port takes a well-behaved front-end afterwards and forwards (positive control on the same
/// port), and the process holds no more descriptors than before (`/proc/self/fd`): whatever
/// the attacker sent was closed.
@Suite(.serialized) struct HostileFrontEndTests {
    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    static func residentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// a and b switching, x listening for the attacker; a well-behaved front-end has come and
    /// gone on x once, so lazily made descriptors (the closer thread's) are in the baseline.
    func harness() throws -> (SwitchHarness, baseline: Int) {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("x", .access(vlan: 10))])
        try h.connect("a")
        try h.connect("b")
        try expectSwitching(h, "set-up")
        try expectWellBehavedFrontEndWorks(h, on: "x", tag: 0)
        return (h, try settledDescriptors(atMost: Int.max))
    }

    /// Waits until the descriptor count is at most `limit` (closes happen on the closer thread),
    /// returns the last count.
    func settledDescriptors(atMost limit: Int, seconds: Double = 3) throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var n = Self.openDescriptors()
        while n > limit, Date() < deadline {
            usleep(10_000)
            n = Self.openDescriptors()
        }
        usleep(limit == Int.max ? 100_000 : 0)
        return limit == Int.max ? Self.openDescriptors() : n
    }

    /// a → b (flood) and b → a (learned unicast).
    func expectSwitching(_ h: SwitchHarness, _ note: String) throws {
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 80)
        try h.frontEnd("a").send(frame: hello)
        #expect(try h.receive("b", expected: 1) == [hello], "\(note): a → b")
        let answer = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 120)
        try h.frontEnd("b").send(frame: answer)
        #expect(try h.receive("a", expected: 1) == [answer], "\(note): b → a")
    }

    /// A fresh front-end on `port` negotiates, starts, and its broadcast reaches a and b.
    func expectWellBehavedFrontEndWorks(_ h: SwitchHarness, on port: String, tag: Int) throws {
        var fe: TestFrontEnd? = try connectWhenListening(h, port)
        try fe!.negotiate()
        try fe!.start()
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 64 + tag)
        try fe!.send(frame: hello)
        #expect(try h.receive("a", expected: 1) == [hello], "well-behaved front-end on \(port) after attack \(tag)")
        #expect(try h.receive("b", expected: 1) == [hello], "well-behaved front-end on \(port) after attack \(tag)")
        fe!.disconnect()
        fe = nil
        _ = try waitForState(h, port, "listening")
    }

    func connectWhenListening(_ h: SwitchHarness, _ port: String,
                              options: TestFrontEnd.Options = TestFrontEnd.Options()) throws -> TestFrontEnd {
        _ = try waitForState(h, port, "listening")
        return try TestFrontEnd(connectingTo: h.socketPath(port), options: options)
    }

    func waitForState(_ h: SwitchHarness, _ port: String, _ wanted: String, seconds: Double = 3) throws -> String? {
        try h.waitForPortState(port, wanted, seconds: seconds)
    }

    enum Setup { case connected, negotiated, started }

    /// One attack on port x and the checks after it (see the type's doc).
    func survive(_ h: SwitchHarness, baseline _: Int, _ name: String, setup: Setup = .started,
                 _ attack: (TestFrontEnd) throws -> Void) throws {
        // What the attacker handed over must be gone from the whole process afterwards: its
        // memfd (by name: no descriptor, no mapping) and its ring eventfds (by eventfd id). Other
        // suites run in parallel in this process, so a plain descriptor count would be noise.
        var eventfds: Set<String> = []
        do {
            var options = TestFrontEnd.Options()
            options.memoryName = Self.attackerMemory
            let x = try connectWhenListening(h, "x", options: options)
            if setup != .connected { try x.negotiate() }
            if setup == .started { try x.start() }
            eventfds = Set(x.rings.flatMap { [$0.kick.rawValue, $0.call.rawValue] }.compactMap(Self.eventfdIdentity))
            try attack(x)
            x.disconnect()
        }
        try expectSwitching(h, "after \(name)")
        try expectWellBehavedFrontEndWorks(h, on: "x", tag: name.count % 64)
        let left = Self.waitUntilGone(memory: Self.attackerMemory, eventfds: eventfds)
        #expect(left.isEmpty, "\(name): still open or mapped: \(left)")
    }

    static let attackerMemory = "redteam-attacker"

    /// "eventfd-id" from fdinfo (unique per eventfd object; shared by every copy of it).
    static func eventfdIdentity(_ fd: Int32) -> String? {
        guard let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8) else { return nil }
        return info.split(separator: "\n").first { $0.hasPrefix("eventfd-id:") }.map { String($0.dropFirst(11)).trimmingCharacters(in: .whitespaces) }
    }

    /// Every descriptor of the process: its link target, or "eventfd <id>" for an eventfd.
    static func openIdentities() -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { name -> String? in
            guard let fd = Int32(name) else { return nil }
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)") else { return nil }
            if target == "anon_inode:[eventfd]", let id = eventfdIdentity(fd) { return "eventfd \(id)" }
            return target
        }
    }

    /// Waits up to 3 s until no descriptor or mapping names `memory` and no descriptor is one of
    /// `eventfds`; returns what is left.
    static func waitUntilGone(memory: String, eventfds: Set<String>) -> [String] {
        let deadline = Date().addingTimeInterval(3)
        var left: [String] = []
        repeat {
            let maps = ((try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? "").split(separator: "\n")
            left = openIdentities().filter { $0.contains(memory) || eventfds.contains(String($0.dropFirst(8))) && $0.hasPrefix("eventfd ") }
                + maps.filter { $0.contains(memory) }.map { "mapping \($0)" }
            if left.isEmpty { break }
            usleep(10_000)
        } while Date() < deadline
        return left
    }

    /// Waits up to 2 s for the back-end to close its copies of `fd` (the test keeps its own).
    func expectNoCopiesLeft(of fd: Int32, _ note: String) {
        let deadline = Date().addingTimeInterval(2)
        var extra = Self.extraCopies(of: fd)
        while extra > 0, Date() < deadline { usleep(10_000); extra = Self.extraCopies(of: fd) }
        #expect(extra == 0, "\(note): \(extra) copies left in the back-end")
    }

    /// Copies of `fd`'s eventfd or file beyond the test's own one.
    static func extraCopies(of fd: Int32) -> Int {
        let mine = openIdentities()
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") else { return -1 }
        let identity = target == "anon_inode:[eventfd]" ? eventfdIdentity(fd).map { "eventfd \($0)" } ?? target : target
        return mine.filter { $0 == identity }.count - 1
    }

    /// Sends a request and expects it refused: a nack when an ack was asked for, else the
    /// connection closed.
    func expectRefused(_ x: TestFrontEnd, code: UInt32, payload: [UInt8] = [], fds: [Int32] = [], ack: Bool = true,
                       _ note: String) throws {
        let flags = FrontEndWire.version | (ack ? FrontEndWire.needReply : 0)
        try x.sendRaw(FrontEndWire.message(code, flags: flags, payload: payload), fds: fds)
        if ack {
            let reply = try x.readReply()
            #expect(reply.code == code && reply.u64 != nil && reply.u64 != 0, "\(note): expected a nack, got \(reply)")
        } else {
            #expect(x.waitForClose(), "\(note): expected the connection closed")
        }
    }

    func expectAccepted(_ x: TestFrontEnd, code: UInt32, payload: [UInt8] = [], fds: [Int32] = [], _ note: String) throws {
        try x.sendRaw(FrontEndWire.message(code, flags: FrontEndWire.version | FrontEndWire.needReply, payload: payload),
                      fds: fds)
        let reply = try x.readReply()
        #expect(reply.code == code && reply.u64 == 0, "\(note): expected an ack, got \(reply)")
    }

    /// A socket pair: `send` goes to the back-end; `sawEOF` says whether every copy of it was closed.
    final class Probe {
        let keep: Int32
        var send: Int32
        init() {
            var fds: [Int32] = [0, 0]
            _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
            keep = fds[0]
            send = fds[1]
        }
        /// Our copy of `send` closed; then true once the back-end's copy is closed too.
        func sawEOF(within seconds: Double = 2) -> Bool {
            if send >= 0 { close(send); send = -1 }
            var p = pollfd(fd: keep, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(seconds * 1000)) == 1 else { return false }
            var byte: UInt8 = 0
            return recv(keep, &byte, 1, Int32(MSG_DONTWAIT)) == 0
        }
        deinit {
            close(keep)
            if send >= 0 { close(send) }
        }
    }

    func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    // MARK: - message framing

    @Test func messagesWhosePayloadDisagreesWithTheirRequestCloseOnlyThatConnection() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "SET_VRING_NUM with 4 bytes") { x in
            try expectRefused(x, code: FrontEndRequest.setVringNum.rawValue, payload: u32(0), ack: false, "short")
        }
        try survive(h, baseline: baseline, "GET_FEATURES with 8 bytes") { x in
            try expectRefused(x, code: FrontEndRequest.getFeatures.rawValue, payload: FrontEndWire.u64(0), ack: false, "long")
        }
        try survive(h, baseline: baseline, "SET_MEM_TABLE claiming 2 regions, carrying 1", setup: .negotiated) { x in
            var payload = FrontEndWire.memoryTable([x.ram.regions[0]])
            payload[0] = 2
            try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: payload, fds: [x.ram.file.rawValue],
                              ack: false, "region count")
        }
        try survive(h, baseline: baseline, "header claiming 4 GiB of payload") { x in
            var header = FrontEndWire.message(FrontEndRequest.setFeatures.rawValue)
            header.replaceSubrange(8..<12, with: u32(0xFFFF_FFFF))
            try x.sendRaw(header)
            #expect(x.waitForClose())
        }
        try survive(h, baseline: baseline, "the reply flag on a request") { x in
            try x.sendRaw(FrontEndWire.message(FrontEndRequest.getFeatures.rawValue, flags: 0x5))
            #expect(x.waitForClose())
        }
        try survive(h, baseline: baseline, "an unknown request code") { x in
            try expectRefused(x, code: 200, "unknown, with ack")
            try expectRefused(x, code: 201, ack: false, "unknown, without ack")
        }
        expectAccountingAddsUp(h.engine)
    }

    @Test func descriptorsARequestDoesNotTakeAreClosed() throws {
        let (h, baseline) = try harness()
        let cases: [(String, UInt32, [UInt8], Int)] = [
            ("GET_FEATURES with 3 descriptors", FrontEndRequest.getFeatures.rawValue, [], 3),
            ("SET_VRING_NUM with a descriptor", FrontEndRequest.setVringNum.rawValue, FrontEndWire.vringState(0, 256), 1),
            ("SET_VRING_KICK NOFD with a descriptor", FrontEndRequest.setVringKick.rawValue, FrontEndWire.u64(0x100), 1),
        ]
        for (name, code, payload, count) in cases {
            let probe = Probe()
            try survive(h, baseline: baseline, name) { x in
                try x.sendRaw(FrontEndWire.message(code, payload: payload), fds: Array(repeating: probe.send, count: count))
                #expect(x.waitForClose(), "\(name): connection closed")
            }
            #expect(probe.sawEOF(), "\(name): the back-end closed every copy")
        }
        // 40 descriptors on one message (a sender passes at most 32 per sendmsg here: two halves
        // of the header with 20 each, which the back-end reads as one message's).
        let many = Probe()
        try survive(h, baseline: baseline, "40 descriptors on one message") { x in
            let header = FrontEndWire.message(FrontEndRequest.getFeatures.rawValue)
            try x.sendRaw(Array(header[0..<6]), fds: Array(repeating: many.send, count: 20))
            try x.sendRaw(Array(header[6...]), fds: Array(repeating: many.send, count: 20))
            #expect(x.waitForClose(), "40 descriptors: connection closed")
        }
        #expect(many.sawEOF(), "40 descriptors: the back-end closed every copy")
        // Half a header with a descriptor, then gone: the unfinished message's descriptor closes.
        let half = Probe()
        try survive(h, baseline: baseline, "half a header with a descriptor, then a hang-up") { x in
            try x.sendRaw(Array(FrontEndWire.message(FrontEndRequest.setVringCall.rawValue)[0..<6]), fds: [half.send])
            usleep(50_000)
        }
        #expect(half.sawEOF(), "half a header: the back-end closed its copy")
        // SET_MEM_TABLE with one descriptor more than it has regions.
        let probe = Probe()
        try survive(h, baseline: baseline, "SET_MEM_TABLE with an extra descriptor", setup: .negotiated) { x in
            let regions = x.ram.regions
            try x.sendRaw(FrontEndWire.message(FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(regions)),
                          fds: regions.map { _ in x.ram.file.rawValue } + [probe.send])
            #expect(x.waitForClose())
        }
        #expect(probe.sawEOF())
        expectAccountingAddsUp(h.engine)
    }
}
