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
    static let descriptorFlagNext: UInt16 = 1
    static let descriptorFlagIndirect: UInt16 = 4

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
        let hello = Frames.make(to: Frames.broadcast, from: Frames.mac(1), length: 80)
        try h.frontEnd("a").send(frame: hello)
        #expect(try h.receive("b", expected: 1) == [hello], "\(note): a → b")
        let answer = Frames.make(to: Frames.mac(1), from: Frames.mac(2), length: 120)
        try h.frontEnd("b").send(frame: answer)
        #expect(try h.receive("a", expected: 1) == [answer], "\(note): b → a")
    }

    /// A fresh front-end on `port` negotiates, starts, and its broadcast reaches a and b.
    func expectWellBehavedFrontEndWorks(_ h: SwitchHarness, on port: String, tag: Int) throws {
        var fe: TestFrontEnd? = try connectWhenListening(h, port)
        try fe!.negotiate()
        try fe!.start()
        let hello = Frames.make(to: Frames.broadcast, from: Frames.mac(9), length: 64 + tag)
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
        let deadline = Date().addingTimeInterval(seconds)
        var last: String?
        repeat {
            last = try h.engine.perform { $0.portRuntime().first { $0.spec.name == port }?.state }.get()
            if last == wanted { break }
            usleep(5_000)
        } while Date() < deadline
        return last
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

    // MARK: - rings

    @Test func impossibleRingSizesBasesAndIndexesAreRefused() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "ring sizes") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            for size: UInt32 in [0, 3, 255, 32769, 65536, 0xFFFF_FFFF] {
                try expectRefused(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(0, size),
                                  "SET_VRING_NUM \(size)")
            }
            // Positive control: a power of two is taken, and so is the split ring's largest.
            try expectAccepted(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(0, 32768), "32768")
            try expectAccepted(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(0, 256), "256")
            // A running ring's size cannot change under the datapath.
            try expectRefused(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(1, 128),
                              "SET_VRING_NUM on a running ring")
        }
        try survive(h, baseline: baseline, "ring bases") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            try expectRefused(x, code: FrontEndRequest.setVringBase.rawValue, payload: FrontEndWire.vringState(0, 0x1_0000),
                              "a base with packed-ring bits")
            try expectAccepted(x, code: FrontEndRequest.setVringBase.rawValue, payload: FrontEndWire.vringState(0, 0xFFFF),
                               "any 16-bit base (indexes are free-running)")
        }
        try survive(h, baseline: baseline, "GET_VRING_BASE on rings never started", setup: .negotiated) { x in
            for ring in 0..<2 {
                let state = try x.request(.getVringBase, FrontEndWire.vringState(ring, 0), expectReply: true)?.vringState
                #expect(state?.index == UInt32(ring) && state?.num == 0)
            }
        }
        try survive(h, baseline: baseline, "ring indexes beyond the queues") { x in
            for (code, payload) in [(FrontEndRequest.setVringNum, FrontEndWire.vringState(2, 256)),
                                    (.setVringBase, FrontEndWire.vringState(255, 0)),
                                    (.setVringEnable, FrontEndWire.vringState(2, 1)),
                                    (.setVringAddr, FrontEndWire.vringAddress(5, desc: 0, used: 0, avail: 0))] {
                try expectRefused(x, code: code.rawValue, payload: payload, "\(code) on ring beyond the queues")
            }
            let event = try EventFD()
            for code in [FrontEndRequest.setVringKick, .setVringCall, .setVringErr] {
                try expectRefused(x, code: code.rawValue, payload: FrontEndWire.u64(200), fds: [event.rawValue], "\(code) ring 200")
            }
            expectNoCopiesLeft(of: event.rawValue, "eventfds for ring 200")
            try expectRefused(x, code: FrontEndRequest.setVringEnable.rawValue, payload: FrontEndWire.vringState(0, 2),
                              "enable value 2")
            // GET_VRING_BASE always replies, so a refusal closes the connection.
            try expectRefused(x, code: FrontEndRequest.getVringBase.rawValue, payload: FrontEndWire.vringState(9, 0),
                              ack: false, "GET_VRING_BASE ring 9")
        }
        expectAccountingAddsUp(h.engine)
    }

    @Test func ringAddressesOutsideMemoryOrMisalignedAreRefused() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "ring addresses") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            let r = x.rings[0]
            let (d, a, u) = (r.descriptorTable.uva, r.availableRing.uva, r.usedRing.uva)
            let last = x.ram.regions.map { $0.userspaceAddress + UInt64($0.size) }.max()!
            let bad: [(String, UInt64, UInt64, UInt64)] = [
                ("descriptor table misaligned", d + 8, u, a),
                ("available ring misaligned", d, u, a + 1),
                ("used ring misaligned", d, u + 2, a),
                ("descriptor table outside memory", 0xDEAD_0000, u, a),
                ("used ring running past the region's end", d, (last - 16) & ~3, a),
                ("available ring at the top of the address space", d, u, UInt64.max - 1),
            ]
            for (what, desc, used, avail) in bad {
                try expectRefused(x, code: FrontEndRequest.setVringAddr.rawValue,
                                  payload: FrontEndWire.vringAddress(0, desc: desc, used: used, avail: avail), what)
            }
            try expectRefused(x, code: FrontEndRequest.setVringAddr.rawValue,
                              payload: FrontEndWire.vringAddress(0, desc: d, used: u, avail: a, flags: 0x2), "unknown flags")
            // Positive control: the real addresses are taken.
            try expectAccepted(x, code: FrontEndRequest.setVringAddr.rawValue,
                               payload: FrontEndWire.vringAddress(0, desc: d, used: u, avail: a), "the ring's own addresses")
        }
        // The used ring laid over the descriptor table of the same ring: legal addresses, guest's
        // own memory; the engine writes used entries over descriptors it then reads (checked).
        try survive(h, baseline: baseline, "used ring over the descriptor table") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            let r = x.rings[0]
            try expectAccepted(x, code: FrontEndRequest.setVringAddr.rawValue,
                               payload: FrontEndWire.vringAddress(0, desc: r.descriptorTable.uva, used: r.descriptorTable.uva,
                                                                  avail: r.availableRing.uva), "overlapping rings")
            try x.request(.setVringKick, FrontEndWire.u64(0), fds: [r.kick.rawValue], ack: true)
            try x.request(.setVringCall, FrontEndWire.u64(0), fds: [r.call.rawValue], ack: true)
            for i in 0..<40 {
                try h.frontEnd("a").send(frame: Frames.make(to: Frames.broadcast, from: Frames.mac(1), length: 64 + i))
            }
            _ = try h.receive("b", expected: 40)
        }
        expectAccountingAddsUp(h.engine)
    }

    /// Writes descriptor `index` of `ring` raw and publishes it as the next available head.
    func publishRaw(_ x: TestFrontEnd, ring: Int, descriptors: [(index: Int, address: UInt64, length: UInt32, flags: UInt16, next: UInt16)],
                    head: Int) {
        let r = x.rings[ring]
        for d in descriptors {
            let p = r.descriptorTable.pointer + 16 * d.index
            p.storeBytes(of: d.address.littleEndian, toByteOffset: 0, as: UInt64.self)
            p.storeBytes(of: d.length.littleEndian, toByteOffset: 8, as: UInt32.self)
            p.storeBytes(of: d.flags.littleEndian, toByteOffset: 12, as: UInt16.self)
            p.storeBytes(of: d.next.littleEndian, toByteOffset: 14, as: UInt16.self)
        }
        let idx = r.availableRing.pointer.load(fromByteOffset: 2, as: UInt16.self)
        r.availableRing.pointer.storeBytes(of: UInt16(head).littleEndian, toByteOffset: 4 + 2 * (Int(idx) % r.size),
                                           as: UInt16.self)
        r.availableRing.pointer.storeBytes(of: idx &+ 1, toByteOffset: 2, as: UInt16.self)
        r.kick.signal()
    }

    /// Frames the engine refused from x's TX ring as malformed or too long.
    func refusedChains(_ h: SwitchHarness) throws -> UInt64 {
        let c = try h.counters("x")
        return c.receiveDrops(.malformedDescriptor) + c.receiveDrops(.chainTooLong)
    }

    @Test func descriptorLoopsAndRunawayIndexesCostOnlyTheirOwnRing() throws {
        let (h, baseline) = try harness()
        let next = Self.descriptorFlagNext
        let indirect = Self.descriptorFlagIndirect
        try survive(h, baseline: baseline, "a chain that loops onto itself") { x in
            let size = x.rings[1].size
            let before = try refusedChains(h)
            let buffer = try x.ram.allocate(64, region: 0)
            publishRaw(x, ring: 1, descriptors: [(size - 1, buffer.gpa, 64, next, UInt16(size - 2)),
                                                 (size - 2, buffer.gpa, 64, next, UInt16(size - 1))], head: size - 1)
            try expectSwitching(h, "while x loops")
            #expect(try refusedChains(h) == before + 1, "the loop is one refused chain")
        }
        try survive(h, baseline: baseline, "indirect tables that nest or loop") { x in
            let size = x.rings[1].size
            let before = try refusedChains(h)
            let inner = try x.ram.allocate(32, alignment: 16, region: 0)
            let outer = try x.ram.allocate(32, alignment: 16, region: 0)
            let buffer = try x.ram.allocate(64, region: 0)
            func entry(_ block: GuestRAM.Block, _ i: Int, _ address: UInt64, _ length: UInt32, _ flags: UInt16, _ nxt: UInt16) {
                let p = block.pointer + 16 * i
                p.storeBytes(of: address, toByteOffset: 0, as: UInt64.self)
                p.storeBytes(of: length, toByteOffset: 8, as: UInt32.self)
                p.storeBytes(of: flags, toByteOffset: 12, as: UInt16.self)
                p.storeBytes(of: nxt, toByteOffset: 14, as: UInt16.self)
            }
            // outer: entry 0 points at another indirect table (nesting is forbidden).
            entry(outer, 0, inner.gpa, 32, indirect, 0)
            // inner: two entries that chain to each other forever.
            entry(inner, 0, buffer.gpa, 64, next, 1)
            entry(inner, 1, buffer.gpa, 64, next, 0)
            publishRaw(x, ring: 1, descriptors: [(size - 1, outer.gpa, 32, indirect, 0)], head: size - 1)
            try expectSwitching(h, "after a nested indirect table")
            publishRaw(x, ring: 1, descriptors: [(size - 2, inner.gpa, 32, indirect, 0)], head: size - 2)
            try expectSwitching(h, "after a looping indirect table")
            // An indirect table whose length is not a whole number of entries.
            publishRaw(x, ring: 1, descriptors: [(size - 3, inner.gpa, 24, indirect, 0)], head: size - 3)
            try expectSwitching(h, "after a ragged indirect table")
            #expect(try refusedChains(h) == before + 3)
        }
        try survive(h, baseline: baseline, "malformed TX chains") { x in
            let size = x.rings[1].size
            let before = try h.counters("x")
            let frame = Frames.make(to: Frames.broadcast, from: Frames.mac(9), length: 64)
            let bytes = [UInt8](repeating: 0, count: x.netHeaderLength) + frame
            let buffer = try x.ram.allocate(bytes.count, region: 0)
            bytes.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let write: UInt16 = 2
            let attacks: [(String, (Int, UInt64, UInt32, UInt16, UInt16))] = [
                ("a device-writable TX buffer", (size - 1, buffer.gpa, UInt32(bytes.count), write, 0)),
                ("a buffer of 4 GiB - 1", (size - 2, buffer.gpa, 0xFFFF_FFFF, 0, 0)),
                ("shorter than the virtio-net header", (size - 3, buffer.gpa, 4, 0, 0)),
                ("a header and 5 bytes of frame", (size - 4, buffer.gpa, UInt32(x.netHeaderLength + 5), 0, 0)),
                ("an address outside guest memory", (size - 5, 0x7777_0000_0000, UInt32(bytes.count), 0, 0)),
            ]
            for (what, d) in attacks {
                publishRaw(x, ring: 1, descriptors: [d], head: d.0)
                try expectSwitching(h, "after \(what)")
            }
            let after = try h.counters("x")
            #expect(after.totalReceiveDrops - before.totalReceiveDrops == UInt64(attacks.count),
                    "each malformed chain is one counted drop: \(after.receiveDrops) vs \(before.receiveDrops)")
            #expect(after.forwarded == before.forwarded && after.flooded == before.flooded, "none was switched")
        }
        try survive(h, baseline: baseline, "RX ring disabled while traffic comes") { x in
            try expectAccepted(x, code: FrontEndRequest.setVringEnable.rawValue, payload: FrontEndWire.vringState(0, 0),
                               "disable RX")
            let flood = Frames.make(to: Frames.broadcast, from: Frames.mac(1), length: 97)
            try h.frontEnd("a").send(frame: flood)
            #expect(try h.receive("b", expected: 1) == [flood])
            #expect(try h.receive(by: x, expected: 0, timeout: 0.2).isEmpty, "nothing into a disabled ring")
            expectAccountingAddsUp(h.engine)
            // Positive control: enabled again, it receives.
            try expectAccepted(x, code: FrontEndRequest.setVringEnable.rawValue, payload: FrontEndWire.vringState(0, 1),
                               "enable RX")
            try h.frontEnd("a").send(frame: flood)
            #expect(try h.receive("b", expected: 1) == [flood])
            #expect(try h.receive(by: x, expected: 1) == [flood])
        }
        try survive(h, baseline: baseline, "an available index that jumps past the ring size") { x in
            let errors = try x.installErrorNotifier(ring: 1)
            // Positive control first: x's TX ring works.
            let fromX = Frames.make(to: Frames.broadcast, from: Frames.mac(9), length: 66)
            try x.send(frame: fromX)
            #expect(try h.receive("a", expected: 1) == [fromX])
            _ = try h.receive("b", expected: 1)
            let r = x.rings[1]
            let idx = r.availableRing.pointer.load(fromByteOffset: 2, as: UInt16.self)
            r.availableRing.pointer.storeBytes(of: idx &+ UInt16(r.size) &+ 1000, toByteOffset: 2, as: UInt16.self)
            r.kick.signal()
            try expectSwitching(h, "while x's index runs away")
            // The queue stopped itself; the port shows it (within a housekeeping second) and
            // signals its error eventfd, and a flood no longer goes into its rings.
            #expect(try waitForState(h, "x", "broken (ring-broken)") == "broken (ring-broken)")
            #expect(errors.drain() >= 1, "SET_VRING_ERR signalled")
            _ = try h.receive(by: x, expected: 0, timeout: 0.1)  // floods from before the break
            let flood = Frames.make(to: Frames.broadcast, from: Frames.mac(1), length: 99)
            try h.frontEnd("a").send(frame: flood)
            #expect(try h.receive("b", expected: 1) == [flood])
            #expect(try h.receive(by: x, expected: 0, timeout: 0.2).isEmpty)
        }
        expectAccountingAddsUp(h.engine)
    }

    // MARK: - features and unsupported requests

    @Test func featuresNeverOfferedAndUnsupportedRequestsAreRefusedAndTheirDescriptorsClosed() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "features never offered", setup: .negotiated) { x in
            let offered = try x.getU64(.getFeatures)
            let never = (0..<64).map { UInt64(1) << $0 }.first { offered & $0 == 0 }!
            try expectRefused(x, code: FrontEndRequest.setFeatures.rawValue, payload: FrontEndWire.u64(offered | never),
                              "SET_FEATURES with bit \(never.trailingZeroBitCount)")
            let protocolOffered = try x.getU64(.getProtocolFeatures)
            try expectRefused(x, code: FrontEndRequest.setProtocolFeatures.rawValue,
                              payload: FrontEndWire.u64(protocolOffered | 1 << 40), "protocol bit 40")
        }
        try survive(h, baseline: baseline, "SET_PROTOCOL_FEATURES before GET", setup: .connected) { x in
            // Taken when every bit was offered (QEMU caches GET's answer across reconnects) ...
            try x.request(.setProtocolFeatures, FrontEndWire.u64(1 << 3), ack: false)
            #expect(try x.getU64(.getQueueNum) == 1)
            // ... refused otherwise; REPLY_ACK is on now, so it is a nack.
            try expectRefused(x, code: FrontEndRequest.setProtocolFeatures.rawValue, payload: FrontEndWire.u64(1 << 3 | 1 << 50),
                              "an unoffered protocol bit")
        }
        try survive(h, baseline: baseline, "MTU, status and RARP values out of range") { x in
            for mtu: UInt64 in [0, 67, 65536, UInt64.max] {
                try expectRefused(x, code: FrontEndRequest.netSetMTU.rawValue, payload: FrontEndWire.u64(mtu), "MTU \(mtu)")
            }
            try expectRefused(x, code: FrontEndRequest.setStatus.rawValue, payload: FrontEndWire.u64(0x1FF), "status 0x1FF")
            // SEND_RARP for the broadcast address: a multicast source, dropped and counted, not learned.
            let before = try h.counters("x").receiveDrops(.multicastSource)
            try expectAccepted(x, code: FrontEndRequest.sendRARP.rawValue, payload: FrontEndWire.u64(0xFFFF_FFFF_FFFF),
                               "SEND_RARP ff:ff:ff:ff:ff:ff")
            #expect(try h.counters("x").receiveDrops(.multicastSource) == before + 1)
            #expect(try h.receivesNothing("a") && h.receivesNothing("b"))
            try expectSwitching(h, "broadcast still floods after a RARP for it")
        }
        let logFile = try Memfd.create(name: "redteam-log", size: 1 << 20)
        try survive(h, baseline: baseline, "SET_LOG_BASE with a memfd") { x in
            try expectRefused(x, code: FrontEndRequest.setLogBase.rawValue, payload: FrontEndWire.u64(1 << 20) + FrontEndWire.u64(0),
                              fds: [logFile.rawValue], "SET_LOG_BASE")
        }
        expectNoCopiesLeft(of: logFile.rawValue, "SET_LOG_BASE's memfd")
        let logEvent = try EventFD()
        try survive(h, baseline: baseline, "SET_LOG_FD") { x in
            try expectRefused(x, code: FrontEndRequest.setLogFd.rawValue, fds: [logEvent.rawValue], "SET_LOG_FD")
        }
        expectNoCopiesLeft(of: logEvent.rawValue, "SET_LOG_FD's eventfd")
        for (name, code) in [("SET_BACKEND_REQ_FD", UInt32(21)), ("SET_INFLIGHT_FD", 32), ("GPU_SET_SOCKET", 33)] {
            let channel = Probe()
            try survive(h, baseline: baseline, name) { x in
                let payload: [UInt8] = code == 32 ? [UInt8](repeating: 0, count: 24) : []
                try expectRefused(x, code: code, payload: payload, fds: [channel.send], name)
            }
            #expect(channel.sawEOF(), "\(name): the back-end closed its copy of the channel")
        }
        let lateChannel = Probe()
        try survive(h, baseline: baseline, "SET_BACKEND_REQ_FD without an ack") { x in
            try expectRefused(x, code: 21, fds: [lateChannel.send], ack: false, "no ack: the connection closes")
        }
        #expect(lateChannel.sawEOF())
        expectAccountingAddsUp(h.engine)
    }

    // MARK: - memory

    @Test func memoryTablesThatCannotBeMappedAreRefused() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "bad memory tables", setup: .negotiated) { x in
            let good = x.ram.regions
            let fd = x.ram.file.rawValue
            var overlapGPA = good
            overlapGPA[1].guestPhysicalAddress = good[0].guestPhysicalAddress + 4096
            var overlapUVA = good
            overlapUVA[1].userspaceAddress = good[0].userspaceAddress + 4096
            var wraps = [good[0]]
            wraps[0].guestPhysicalAddress = UInt64.max - 4095
            var wrapsUVA = [good[0]]
            wrapsUVA[0].userspaceAddress = UInt64.max - 4095
            var pastEnd = [good[0]]
            pastEnd[0].mmapOffset = 1 << 30
            var empty = [good[0]]
            empty[0].size = 0
            for (what, table) in [("overlapping GPAs", overlapGPA), ("overlapping UVAs", overlapUVA),
                                  ("GPA + size wraps", wraps), ("UVA + size wraps", wrapsUVA),
                                  ("mmap_offset past the file's end", pastEnd), ("an empty region", empty)] {
                try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(table),
                                  fds: table.map { _ in fd }, what)
            }
            // The guest RAM through a read-only descriptor: a shared writable mapping is refused.
            let readOnly = open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC)
            #expect(readOnly >= 0)
            try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(good),
                              fds: good.map { _ in readOnly }, "a read-only descriptor")
            // (Its copies are checked with the attacker's memfd, by name, when x is gone.)
            close(readOnly)
            // Positive control: the real table.
            try expectAccepted(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(good),
                               fds: good.map { _ in fd }, "the real table")
            // Nine regions: more than a table holds (a malformed message: the connection closes).
            let nine = Array(repeating: good[0], count: 9)
            try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(nine),
                              fds: nine.map { _ in fd }, ack: false, "nine regions")
        }
        expectAccountingAddsUp(h.engine)
    }

    /// A 4 KiB region at mmap_offset 2 TiB of a sparse memfd: the region is small, but its file is
    /// mapped from offset 0, so it would take 2 TiB of address space. Counted against
    /// `max-guest-memory` by what is mapped (the hole: only `size` was counted).
    @Test func aSmallRegionFarIntoASparseFileCountsWhatItMaps() throws {
        let (h, baseline) = try harness()
        let sparse = try Memfd.create(name: "redteam-sparse", size: (2 << 40) + (1 << 20))
        try survive(h, baseline: baseline, "4 KiB at mmap_offset 2 TiB", setup: .negotiated) { x in
            var region = x.ram.regions[0]
            region.size = 4096
            region.mmapOffset = 2 << 40
            try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable([region]),
                              fds: [sparse.rawValue], "SET_MEM_TABLE")
            try x.start()   // positive control: the real table maps
            var added = region
            added.guestPhysicalAddress = 0x40_0000_0000
            added.userspaceAddress = 0x7000_0000_0000
            try expectRefused(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(added),
                              fds: [sparse.rawValue], "ADD_MEM_REG")
            // Positive control: the same region at offset 1 MiB of the same file is added.
            added.mmapOffset = 1 << 20
            try expectAccepted(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(added),
                               fds: [sparse.rawValue], "ADD_MEM_REG near the start")
            let refusals = try h.engine.perform { e in e.ports[Int(e.portIndex(named: "x")!)]?.vhost?.device.memoryLimitRefusals }.get()
            #expect(refusals == 2)
        }
        expectNoCopiesLeft(of: sparse.rawValue, "the sparse memfd")
        expectAccountingAddsUp(h.engine)
    }

    @Test func regionsBeyondTheSlotsOrOverlappingAreRefused() throws {
        let (h, baseline) = try harness()
        let extra = try Memfd.create(name: "redteam-slots", size: 64 << 20)
        try survive(h, baseline: baseline, "ADD_MEM_REG beyond the slots") { x in
            let slots = Int(try x.getU64(.getMaxMemSlots))
            func region(_ k: Int) -> GuestRAM.Region {
                var r = x.ram.regions[0]
                r.guestPhysicalAddress = 0x10_0000_0000 + UInt64(k) << 20
                r.userspaceAddress = 0x6000_0000_0000 + UInt64(k) << 20
                r.size = 1 << 20
                r.mmapOffset = UInt64(k) << 20
                return r
            }
            for k in 0..<(slots - x.ram.regions.count) {
                try expectAccepted(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(region(k)),
                                   fds: [extra.rawValue], "region \(k)")
            }
            try expectRefused(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(region(60)),
                              fds: [extra.rawValue], "one region more than \(slots) slots")
            try expectAccepted(x, code: FrontEndRequest.remMemReg.rawValue, payload: FrontEndWire.singleRegion(region(0)),
                               "REM_MEM_REG makes room")
            var overlapping = region(1)
            overlapping.guestPhysicalAddress += 4096
            overlapping.userspaceAddress = 0x6800_0000_0000
            try expectRefused(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(overlapping),
                              fds: [extra.rawValue], "a region overlapping another's GPAs")
            try expectRefused(x, code: FrontEndRequest.remMemReg.rawValue, payload: FrontEndWire.singleRegion(region(61)),
                              "REM_MEM_REG of a region never added")
            // Traffic still flows over x's own rings.
            let fromX = Frames.make(to: Frames.broadcast, from: Frames.mac(9), length: 77)
            try x.send(frame: fromX)
            #expect(try h.receive("a", expected: 1) == [fromX])
            _ = try h.receive("b", expected: 1)
        }
        expectNoCopiesLeft(of: extra.rawValue, "the added regions' memfd")
        expectAccountingAddsUp(h.engine)
    }
}

extension HostileFrontEndTests {
    /// User + system CPU time of the whole process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func mappingCount() -> Int {
        ((try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// A front-end that sends requests and never reads a reply: the back-end never waits for it
    /// (a reply that does not fit is a dropped connection), and the others keep switching.
    @Test func aFrontEndThatNeverReadsItsRepliesLosesOnlyItsConnection() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "requests without reading replies") { x in
            let request = FrontEndWire.message(FrontEndRequest.getFeatures.rawValue)
            var sent = 0
            var closed = false
            let deadline = Date().addingTimeInterval(5)
            while !closed && Date() < deadline {
                do { try x.sendRaw(request); sent += 1 } catch TestFrontEndError.closedByBackEnd { closed = true }
                  catch TestFrontEndError.timeout { usleep(1_000) }
            }
            #expect(closed || x.waitForClose(), "after \(sent) requests")
            print("redteam: the back-end dropped a front-end that never read, after \(sent) requests")
        }
        expectAccountingAddsUp(h.engine)
    }

    /// Memory tables and connections in a loop: descriptors, mappings and RSS stay flat.
    @Test func memoryTableAndConnectionChurnLeavesNothingBehind() throws {
        let (h, _) = try harness()
        var options = TestFrontEnd.Options()
        options.memoryName = "redteam-churn"
        var x: TestFrontEnd? = try connectWhenListening(h, "x", options: options)
        try x!.negotiate()
        try x!.start()
        let before = (fds: Self.openDescriptors(), maps: Self.mappingCount(), rss: Self.residentKiB())
        for _ in 0..<300 {
            try x!.request(.setMemTable, FrontEndWire.memoryTable(x!.ram.regions),
                           fds: x!.ram.regions.map { _ in x!.ram.file.rawValue }, ack: true)
        }
        let fromX = Frames.make(to: Frames.broadcast, from: Frames.mac(9), length: 90)
        try x!.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX], "still forwarding on the last table")
        _ = try h.receive("b", expected: 1)
        // Our own descriptor and mapping of the guest RAM, and the back-end's last table only: one
        // mapping per region (the back-end closes a region's descriptor once it is mapped).
        let descriptors = Self.openIdentities().filter { $0.contains("redteam-churn") }.count
        let maps = ((try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.contains("redteam-churn") }.count
        #expect(descriptors == 1 && maps == 1 + x!.ram.regions.count,
                "after 300 tables: \(descriptors) descriptors and \(maps) mappings of the guest RAM")
        let tables = (fds: Self.openDescriptors(), maps: Self.mappingCount(), rss: Self.residentKiB())
        x!.disconnect()
        x = nil
        _ = try waitForState(h, "x", "listening")
        for i in 0..<100 {
            let fe = try connectWhenListening(h, "x", options: options)
            try fe.negotiate()
            if i % 2 == 0 { try fe.start() }
            fe.disconnect()
        }
        _ = try waitForState(h, "x", "listening")
        let left = Self.waitUntilGone(memory: "redteam-churn", eventfds: [])
        #expect(left.isEmpty, "after 100 connections: \(left)")
        let after = (fds: Self.openDescriptors(), maps: Self.mappingCount(), rss: Self.residentKiB())
        // Process-wide numbers (other suites may run in parallel): reported, not asserted.
        print("redteam churn: before fds \(before.fds) maps \(before.maps) rss \(before.rss) KiB; after 300 SET_MEM_TABLE "
              + "fds \(tables.fds) maps \(tables.maps) rss \(tables.rss) KiB; after 100 connections (x's RAM released) "
              + "fds \(after.fds) maps \(after.maps) rss \(after.rss) KiB")
        try expectSwitching(h, "after churn")
        expectAccountingAddsUp(h.engine)
    }

    /// A loopback TCP socket with SO_LINGER of an hour and a send queue its peer never reads: its
    /// last close sleeps for the linger time. Returns (socket, peer, listener).
    func lingeringSocket(seconds: Int32) throws -> (Int32, Int32, Int32) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &addr) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(listener, sa, len) == 0, listen(listener, 1) == 0,
                      getsockname(listener, sa, &len) == 0 else { throw Errno.current }
            }
        }
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, 4)
        try withUnsafeMutablePointer(to: &addr) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard connect(s, sa, len) == 0 else { throw Errno.current }
            }
        }
        let peer = accept(listener, nil, nil)
        setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, 4)
        var l = linger(l_onoff: 1, l_linger: seconds)
        setsockopt(s, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        var chunk = [UInt8](repeating: 7, count: 65536)
        while send(s, &chunk, chunk.count, Int32(MSG_DONTWAIT)) > 0 {}
        return (s, peer, listener)
    }

    /// A front-end hands over a socket whose close would sleep for an hour: the back-end's
    /// descriptor closer must not be stuck behind it, or every descriptor any front-end sends
    /// afterwards stays open until the daemon runs out of them.
    @Test func aLingeringSocketCannotStallTheClosingOfLaterDescriptors() throws {
        let (h, baseline) = try harness()
        let (trap, peer, listener) = try lingeringSocket(seconds: 3600)
        defer {
            // Unstick a closer that is stuck (the test failed): let the data drain.
            var sink = [UInt8](repeating: 0, count: 65536)
            let flags = fcntl(peer, F_GETFL)
            _ = fcntl(peer, F_SETFL, flags | O_NONBLOCK)
            for _ in 0..<200 { if recv(peer, &sink, sink.count, 0) <= 0 { usleep(5_000) } }
            close(peer)
            close(listener)
        }
        try survive(h, baseline: baseline, "a lingering TCP socket") { x in
            // The back-end's copy must be the last one: the descriptor rides on the first half of
            // the header, ours closes, then the message completes and is refused.
            let message = FrontEndWire.message(FrontEndRequest.setLogFd.rawValue,
                                               flags: FrontEndWire.version | FrontEndWire.needReply)
            try x.sendRaw(Array(message[0..<6]), fds: [trap])
            close(trap)
            try x.sendRaw(Array(message[6...]))
            let reply = try x.readReply()
            #expect(reply.u64 != nil && reply.u64 != 0, "SET_LOG_FD refused")
        }
        // Descriptors sent afterwards (by any front-end) still close.
        let later = Probe()
        try survive(h, baseline: baseline, "a descriptor after the lingering socket") { x in
            try expectRefused(x, code: FrontEndRequest.setLogFd.rawValue, fds: [later.send], "a later descriptor")
        }
        #expect(later.sawEOF(within: 2), "a descriptor sent after the lingering socket was closed")
        expectAccountingAddsUp(h.engine)
    }

    /// A kick eventfd in semaphore mode (EFD_SEMAPHORE) stays readable after each read: one write
    /// of a huge count would keep the engine from ever sleeping. Refused at SET_VRING_KICK; the
    /// engine still sleeps when idle.
    @Test func aSemaphoreKickFdIsRefusedAndTheEngineStillSleeps() throws {
        let (h, _) = try harness()
        let x = try connectWhenListening(h, "x")
        try x.negotiate()
        try x.start()
        // eventfd(2) is not in the Glibc module; EFD_SEMAPHORE 1, EFD_NONBLOCK 0o4000, EFD_CLOEXEC 0o2000000.
        typealias EventFDCall = @convention(c) (UInt32, Int32) -> Int32
        let create = unsafeBitCast(try #require(dlsym(nil, "eventfd")), to: EventFDCall.self)
        let semaphore = create(0, 1 | 0o4000 | 0o2000000)
        #expect(semaphore >= 0)
        defer { close(semaphore) }
        try expectRefused(x, code: FrontEndRequest.setVringKick.rawValue, payload: FrontEndWire.u64(1), fds: [semaphore],
                          "a semaphore kick fd")
        var count: UInt64 = 1 << 40
        #expect(write(semaphore, &count, 8) == 8)
        // Idle for half a second: the process (the engine thread above all) sleeps.
        usleep(100_000)
        let cpu = Self.cpuSeconds()
        usleep(500_000)
        let busy = Self.cpuSeconds() - cpu
        print("redteam: \(busy) s of CPU in 0.5 s idle with a loaded semaphore eventfd offered as a kick")
        #expect(busy < 0.1, "the engine did not sleep: \(busy) s of CPU in 0.5 s")
        // Positive control: an ordinary eventfd is taken as the kick, and the TX ring still works.
        let plain = try EventFD()
        try expectAccepted(x, code: FrontEndRequest.setVringKick.rawValue, payload: FrontEndWire.u64(1), fds: [plain.rawValue],
                           "an ordinary kick fd")
        expectNoCopiesLeft(of: semaphore, "the refused semaphore eventfd")
        let fromX = Frames.make(to: Frames.broadcast, from: Frames.mac(9), length: 93)
        try x.send(frame: fromX)
        plain.signal()
        #expect(try h.receive("a", expected: 1) == [fromX])
        _ = try h.receive("b", expected: 1)
        try expectSwitching(h, "after the semaphore kick")
        x.disconnect()
        expectAccountingAddsUp(h.engine)
    }

    /// A refused oversize SET_MEM_TABLE leaves an empty table; regions added to it afterwards
    /// must still belong to this port for the SIGBUS guard, so a shrink breaks this port.
    @Test func regionsAddedAfterARefusedTableStillBreakTheirOwnPortWhenShrunk() throws {
        let (h, _) = try harness()
        let x = try connectWhenListening(h, "x")
        try x.negotiate()
        try x.start()
        let huge = try Memfd.create(name: "redteam-huge", size: 2 << 40)
        var region = x.ram.regions[0]
        region.size = 2 << 40
        region.mmapOffset = 0
        try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable([region]),
                          fds: [huge.rawValue], "2 TiB table")
        for r in x.ram.regions {
            try x.request(.addMemReg, FrontEndWire.singleRegion(r), fds: [x.ram.file.rawValue], ack: true)
        }
        // Positive control: the rings came back on the added regions.
        let fromX = Frames.make(to: Frames.broadcast, from: Frames.mac(9), length: 91)
        try x.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX])
        _ = try h.receive("b", expected: 1)
        try x.shrinkMemory(to: 0)
        try h.frontEnd("a").send(frame: Frames.make(to: Frames.broadcast, from: Frames.mac(1), length: 64))
        _ = try h.receive("b", expected: 1)
        #expect(try waitForState(h, "x", "broken (guest-memory-fault)") == "broken (guest-memory-fault)")
        try expectSwitching(h, "after the shrink")
        x.disconnect()
        expectAccountingAddsUp(h.engine)
    }
}

extension SwitchHarness {
    /// Frames a front-end that is not one of the harness's own receives within `timeout`.
    func receive(by fe: TestFrontEnd, expected: Int, timeout: Double = 2) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            frames += try fe.receivedFrames()
            if frames.count >= expected { break }
            usleep(2_000)
        }
        return frames
    }
}
