import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd
import Virtio

/// Live migration's dirty-page log on packed virtqueues (docs/dirty-log.md, "Packed rings"), over
/// real sockets and shared memory: the packed port's front-end hands the switch a log memfd as QEMU
/// does, and the test reads the bits the switch set. A packed ring has no used ring: the device
/// writes used descriptors back into the descriptor ring, which must be logged at the ring's own
/// guest-physical address.
@Suite(.serialized) struct PackedDirtyLogTests {
    typealias SharedLog = DirtyLogTests.SharedLog
    static let packedBit: UInt64 = 1 << 34

    static func packedOptions(ringSize: Int = 512, bufferSize: Int = 6000) -> TestFrontEnd.Options {
        var o = TestFrontEnd.Options()
        o.ringSize = ringSize
        o.bufferSize = bufferSize
        o.driverFeatures |= packedBit
        return o
    }

    static func pages(_ gpa: UInt64, _ length: Int) -> Set<UInt64> { DirtyLogTests.pages(gpa, length) }

    /// Waits until the device has written `count` used descriptors into `ring` from the driver's
    /// next used slot on (each RX/TX buffer here is one descriptor: one slot per chain), and returns
    /// the pages of the buffers it wrote into and of the descriptor slots it wrote back. Read
    /// before the driver re-posts over them (`position`: where the driver's used position was
    /// before the frames were sent, for a TX ring whose sends reclaim completions).
    func awaitUsed(_ ring: DriverRing, count: Int, from position: UInt16? = nil)
        -> (buffers: Set<UInt64>, slots: Set<UInt64>, seen: Int) {
        let start = position ?? ring.packedUsedPosition
        var slot = Int(start & 0x7FFF)
        var wrap = start & 0x8000 != 0
        var buffers: Set<UInt64> = []
        var slots: Set<UInt64> = []
        var seen = 0
        let deadline = Date().addingTimeInterval(3)
        while seen < count, Date() < deadline {
            let entry = ring.descriptorTable.pointer + 16 * slot
            let flags = UInt16(littleEndian: entry.load(fromByteOffset: 14, as: UInt16.self))
            guard (flags & PackedRing.flagAvail != 0) == wrap, (flags & PackedRing.flagUsed != 0) == wrap else {
                usleep(2_000)
                continue
            }
            let id = Int(UInt16(littleEndian: entry.load(fromByteOffset: 12, as: UInt16.self)))
            let written = Int(UInt32(littleEndian: entry.load(fromByteOffset: 8, as: UInt32.self)))
            if flags & PackedRing.flagWrite != 0 { buffers.formUnion(Self.pages(ring.buffers[id].gpa, written)) }
            slots.formUnion(Self.pages(ring.descriptorTable.gpa + UInt64(16 * slot), 16))
            seen += 1
            slot += 1
            if slot == ring.size { slot = 0; wrap.toggle() }
        }
        return (buffers, slots, seen)
    }

    /// Broadcasts `count` frames of `length` bytes from `from` and returns what the switch wrote
    /// into `to`'s RX ring, with the frames sent and received.
    func deliver(_ h: SwitchHarness, count: Int, length: Int, buffersPerFrame: Int = 1, from: String = "a",
                 to: String = "b", mac: UInt8 = 1)
        throws -> (buffers: Set<UInt64>, slots: Set<UInt64>, frames: [[UInt8]], sent: [[UInt8]]) {
        let receiver = try h.frontEnd(to)
        var sent: [[UInt8]] = []
        for i in 0..<count {
            var f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(mac), length: length)
            f[20] = UInt8(i)
            sent.append(f)
            try h.frontEnd(from).send(frame: f)
        }
        let used = awaitUsed(receiver.rings[0], count: count * buffersPerFrame)
        let frames = try h.receive(to, expected: count)
        // A round trip through the engine thread: the turn that published has flushed its log.
        try receiver.sync()
        return (used.buffers, used.slots, frames, sent)
    }

    @Test func logsExactlyTheRXBuffersAndDescriptorWriteBacksOfAPackedRing() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        let a = try h.connect("a")
        // 512 descriptors: the descriptor ring is 8 KiB, two pages, and the frames below are written
        // back into the first only. Buffers 6000 bytes apart, posted with 1000: a 1400-byte frame
        // takes two (MRG_RXBUF, the write cursor), a 600-byte one a single buffer (the shortcut).
        var options = Self.packedOptions()
        options.receiveBufferLength = 1000
        let b = try h.connect("b", options: options)
        #expect(b.isPacked && !a.isPacked, "b negotiated packed rings (positive control)")
        let log = try SharedLog(size: b.fullLogSize)
        #expect(try b.setLogBase(fd: log.file.rawValue, size: UInt64(log.size)) == 0, "SET_LOG_BASE is answered with 0")

        // Control: a log, but LOG_ALL not acked: frames arrive and nothing is logged.
        let off = try deliver(h, count: 4, length: 600)
        #expect(off.frames == off.sent)
        #expect(log.dirtyPages.isEmpty, "logging off: no bit set")

        try b.startLogging()
        log.clear()
        let rx = b.rings[0]
        let large = try deliver(h, count: 12, length: 1400, buffersPerFrame: 2)
        let small = try deliver(h, count: 4, length: 600)
        #expect(large.frames == large.sent && small.frames == small.sent, "the frames arrive intact while logging")
        let on = (buffers: large.buffers.union(small.buffers), slots: large.slots.union(small.slots))
        #expect(!small.buffers.isSubset(of: large.buffers), "the one-buffer frames wrote pages of their own")
        let dirty = log.dirtyPages
        #expect(!on.buffers.isEmpty && on.buffers.isSubset(of: dirty), "every page of every RX buffer written is logged")
        #expect(!on.slots.isEmpty && on.slots.isSubset(of: dirty),
                "every descriptor-ring page written back is logged: missing \(on.slots.subtracting(dirty).sorted())")
        // Nothing else: the buffers, the written-back slots and the rings' device event areas
        // (the notification-suppression stores, logged too).
        let eventAreas = b.rings.reduce(into: Set<UInt64>()) { $0.formUnion(Self.pages($1.usedRing.gpa, 4)) }
        let extra = dirty.subtracting(on.buffers).subtracting(on.slots).subtracting(eventAreas)
        #expect(extra.isEmpty, "unrelated pages stay clean: \(extra.sorted())")
        let secondPage = Self.pages(rx.descriptorTable.gpa + 4096, 4096)
        #expect(secondPage.isDisjoint(with: on.slots) && secondPage.isDisjoint(with: dirty),
                "the descriptor ring's page no used descriptor went into is not logged")
        let unused = Self.pages(rx.buffers[300].gpa, 6000)
        #expect(unused.isDisjoint(with: on.buffers) && unused.isDisjoint(with: dirty), "a buffer not written is not logged")

        // TX: the used descriptors written back into b's TX ring are logged as well.
        log.clear()
        let txRing = b.rings[1]
        let txStart = txRing.packedUsedPosition
        var back: [[UInt8]] = []
        for i in 0..<3 {
            var f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2), length: 300)
            f[20] = UInt8(i)
            back.append(f)
            try b.send(frame: f)
        }
        let tx = awaitUsed(txRing, count: 3, from: txStart)
        #expect(tx.seen == 3 && tx.buffers.isEmpty, "TX chains come back with length 0")
        #expect(try h.receive("a", expected: 3) == back)
        try b.sync()
        let txDirty = log.dirtyPages
        #expect(tx.slots.isSubset(of: txDirty), "TX descriptor write-backs are logged")
        #expect(txDirty.subtracting(tx.slots).subtracting(eventAreas).isEmpty,
                "TX writes nothing else: \(txDirty.subtracting(tx.slots).subtracting(eventAreas).sorted())")

        // Migration over: LOG_ALL off, nothing more is logged.
        try b.stopLogging()
        log.clear()
        let after = try deliver(h, count: 4, length: 600)
        #expect(after.frames == after.sent)
        #expect(log.dirtyPages.isEmpty, "logging off again: no bit set")
        expectAccountingAddsUp(h.engine)
    }

    /// A packed port whose log does not cover what the switch writes, by size or by a log address
    /// past its end, breaks only itself: nothing is written outside the log, and a neighbour keeps
    /// forwarding both ways.
    @Test(arguments: ["small-log", "bad-log-address"])
    func aLogThatDoesNotCoverAPackedRingsWritesBreaksOnlyItsPort(_ attack: String) throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1)), ("c", .access(vlan: 1))])
        try h.connect("a")
        let b = try h.connect("b", options: Self.packedOptions(ringSize: 256, bufferSize: 2048))
        try h.connect("c", options: Self.packedOptions(ringSize: 256, bufferSize: 2048))
        #expect(b.isPacked)
        let announced: UInt64 = attack == "small-log" ? 4096 : b.fullLogSize
        let log = try SharedLog(size: announced, fileSize: Int(b.fullLogSize) + 4096)
        #expect(try b.setLogBase(fd: log.file.rawValue, size: announced) == 0)
        try b.startLogging(usedLogAddress: attack == "small-log" ? nil : 1 << 50)
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1))
        try h.frontEnd("a").send(frame: frame)
        #expect(try h.receive("c", expected: 1) == [frame])
        #expect(try h.waitForPortState("b", "broken (dirty-log-fault)", seconds: 3) == "broken (dirty-log-fault)")
        let beyond = UnsafeRawBufferPointer(start: log.mapping.base + Int(announced),
                                            count: Int(b.fullLogSize) + 4096 - Int(announced))
        #expect(beyond.allSatisfy { $0 == 0 }, "nothing was written past the announced log")
        // The others still switch, both ways (c is a packed neighbour).
        try h.frontEnd("a").send(frame: frame)
        #expect(try h.receive("c", expected: 1) == [frame])
        let back = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3))
        try h.frontEnd("c").send(frame: back)
        #expect(try h.receive("a", expected: 1) == [back])
        #expect(try h.portState("a") == "running" && h.portState("c") == "running")
    }


}
