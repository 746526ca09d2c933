import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Live migration's dirty-page log (docs/dirty-log.md), over real sockets and shared memory: the
/// receiving port's front-end hands the switch a log memfd as QEMU does, and the test reads the
/// bits the switch set.
@Suite(.serialized) struct DirtyLogTests {
    /// The test's view of a front-end's log: the memfd (sent with SET_LOG_BASE) and a mapping of it.
    final class SharedLog {
        let file: OwnedFileDescriptor
        let mapping: MappedRegion
        let size: Int

        init(size: UInt64, fileSize: Int? = nil) throws {
            self.size = Int(size)
            file = try Memfd.create(name: "dlog-log", size: fileSize ?? Int(size))
            mapping = try MappedRegion(descriptor: file.rawValue, length: fileSize ?? Int(size))
        }

        /// QEMU clears the bits it has synced; the test clears all of them.
        func clear() { mapping.base.initializeMemory(as: UInt8.self, repeating: 0, count: size) }

        var dirtyPages: Set<UInt64> {
            var pages: Set<UInt64> = []
            let bytes = mapping.base.assumingMemoryBound(to: UInt8.self)
            for i in 0..<size where bytes[i] != 0 {
                for bit in 0..<8 where bytes[i] & (1 << bit) != 0 { pages.insert(UInt64(i * 8 + bit)) }
            }
            return pages
        }
    }

    static func pages(_ gpa: UInt64, _ length: Int) -> Set<UInt64> {
        guard length > 0 else { return [] }
        return Set((gpa / 4096)...((gpa + UInt64(length) - 1) / 4096))
    }

    /// Sends `count` broadcast frames of `length` bytes from `a` and waits until `b`'s RX ring
    /// used them; returns what the switch wrote: each RX buffer's GPA range and each used slot.
    func deliver(_ h: SwitchHarness, count: Int, length: Int, from a: String = "a", to b: String = "b")
        throws -> (buffers: Set<UInt64>, usedElements: Set<UInt64>, frames: [[UInt8]], sent: [[UInt8]]) {
        let receiver = try h.frontEnd(b)
        let ring = receiver.rings[0]
        let start = ring.usedIndex
        var sent: [[UInt8]] = []
        for i in 0..<count {
            var f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: length)
            f[20] = UInt8(i)
            sent.append(f)
            try h.frontEnd(a).send(frame: f)
        }
        let deadline = Date().addingTimeInterval(3)
        while ring.usedIndex &- start < UInt16(count), Date() < deadline { usleep(2_000) }
        var buffers: Set<UInt64> = []
        var usedElements: Set<UInt64> = []
        for k in 0..<Int(ring.usedIndex &- start) {
            let slot = (Int(start) + k) & (ring.size - 1)
            let element = ring.usedRing.pointer + 4 + 8 * slot
            let id = Int(UInt32(littleEndian: element.load(as: UInt32.self)))
            let written = Int(UInt32(littleEndian: element.load(fromByteOffset: 4, as: UInt32.self)))
            buffers.formUnion(Self.pages(ring.buffers[id].gpa, written))
            usedElements.formUnion(Self.pages(ring.usedRing.gpa + 4 + UInt64(8 * slot), 8))
        }
        let frames = try h.receive(b, expected: count)
        // A round trip through the engine thread: the turn that published has flushed its log.
        try receiver.sync()
        return (buffers, usedElements, frames, sent)
    }

    @Test func logsExactlyThePagesOfRXBuffersAndUsedEntriesWhileLoggingIsOn() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try h.connect("a")
        // 6000-byte buffers: some frames cross a page boundary into a page that holds only frame
        // bytes (no other buffer starts there), which must be logged for those alone.
        var options = TestFrontEnd.Options()
        options.bufferSize = 6000
        let b = try h.connect("b", options: options)
        let log = try SharedLog(size: b.fullLogSize)
        #expect(try b.setLogBase(fd: log.file.rawValue, size: UInt64(log.size)) == 0, "SET_LOG_BASE is answered with 0")

        // Control: a log, but LOG_ALL not acked: frames arrive and nothing is logged.
        let off = try deliver(h, count: 4, length: 600)
        #expect(off.frames == off.sent)
        #expect(log.dirtyPages.isEmpty, "logging off: no bit set")

        try b.startLogging()
        log.clear()
        // 1400-byte frames: several buffers, some crossing a page boundary after the header.
        let on = try deliver(h, count: 12, length: 1400)
        #expect(on.frames == on.sent, "the frames arrive intact while logging")
        let dirty = log.dirtyPages
        #expect(on.buffers.isSubset(of: dirty), "every page of every RX buffer written is logged")
        #expect(on.usedElements.isSubset(of: dirty), "every used-ring page written is logged")
        #expect(dirty.contains(b.rings[0].usedRing.gpa / 4096), "used.idx is logged")
        // Nothing else: only the written buffers and the used rings (RX, and TX's notification fields).
        let usedRings = b.rings.reduce(into: Set<UInt64>()) { $0.formUnion(Self.pages($1.usedRing.gpa, $1.usedRing.length)) }
        #expect(dirty.subtracting(on.buffers).subtracting(usedRings).isEmpty,
                "unrelated pages stay clean: \(dirty.subtracting(on.buffers).subtracting(usedRings).sorted())")
        let unused = Self.pages(b.rings[0].buffers[200].gpa, 6000)
        #expect(unused.isDisjoint(with: on.buffers) && unused.isDisjoint(with: dirty), "a buffer not written is not logged")

        // Migration over: LOG_ALL off, nothing more is logged.
        try b.stopLogging()
        log.clear()
        let after = try deliver(h, count: 4, length: 600)
        #expect(after.frames == after.sent)
        #expect(log.dirtyPages.isEmpty, "logging off again: no bit set")
        expectAccountingAddsUp(h.engine)
    }

    /// A front-end whose log does not cover what the switch writes, by size or by a used-ring log
    /// address past its end, breaks only its own port: nothing is written outside the log, and the
    /// other ports keep forwarding.
    @Test(arguments: ["small-log", "bad-used-log-address"])
    func aLogThatDoesNotCoverTheWritesBreaksOnlyItsPort(_ attack: String) throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1)), ("c", .access(vlan: 1))])
        try h.connect("a")
        let b = try h.connect("b")
        try h.connect("c")
        // The log file is larger than the log it announces: a write past the announced size would
        // land in the file, where the test sees it.
        let announced: UInt64 = attack == "small-log" ? 4096 : b.fullLogSize
        let log = try SharedLog(size: announced, fileSize: Int(b.fullLogSize) + 4096)
        #expect(try b.setLogBase(fd: log.file.rawValue, size: announced) == 0)
        try b.startLogging(usedLogAddress: attack == "small-log" ? nil : 1 << 50)
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1))
        try h.frontEnd("a").send(frame: frame)
        #expect(try h.receive("c", expected: 1) == [frame])
        #expect(try h.waitForPortState("b", "broken (dirty-log-fault)", seconds: 3) == "broken (dirty-log-fault)")
        let beyond = UnsafeRawBufferPointer(start: log.mapping.base + Int(announced), count: Int(b.fullLogSize) + 4096 - Int(announced))
        #expect(beyond.allSatisfy { $0 == 0 }, "nothing was written past the announced log")
        // The others still switch, both ways.
        try h.frontEnd("a").send(frame: frame)
        #expect(try h.receive("c", expected: 1) == [frame])
        let back = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3))
        try h.frontEnd("c").send(frame: back)
        #expect(try h.receive("a", expected: 1) == [back])
        #expect(try h.portState("a") == "running" && h.portState("c") == "running")
    }

    /// SET_LOG_BASE with something that is not a log: refused, the port keeps forwarding.
    @Test func aBadLogDescriptorIsRefusedAndThePortKeepsForwarding() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try h.connect("a")
        let b = try h.connect("b")
        let event = try EventFD()
        #expect(try b.setLogBase(fd: event.rawValue, size: b.fullLogSize) == 1, "an eventfd is no log")
        let short = try Memfd.create(name: "dlog-short", size: 4096)
        #expect(try b.setLogBase(fd: short.rawValue, size: b.fullLogSize) == 1, "a file shorter than the log")
        let huge = try Memfd.create(name: "dlog-huge", size: 4096)
        #expect(try b.setLogBase(fd: huge.rawValue, size: 1 << 40) == 1, "a log larger than any guest needs")
        // Positive control: a real log is accepted, and the port forwards with logging on.
        let log = try SharedLog(size: b.fullLogSize)
        #expect(try b.setLogBase(fd: log.file.rawValue, size: UInt64(log.size)) == 0)
        try b.startLogging()
        let moved = try deliver(h, count: 2, length: 200)
        #expect(moved.frames == moved.sent && !log.dirtyPages.isEmpty)
        #expect(try h.portState("b") == "running")
    }


}
