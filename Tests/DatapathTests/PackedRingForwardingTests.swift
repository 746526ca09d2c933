#if canImport(Glibc)
import Glibc
#endif
@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd
import Virtio

/// Packed virtqueues (VIRTIO_F_RING_PACKED, docs/packed-rings.md) through a real engine: the
/// in-process front-end drives a packed ring over a real socket and shared memory, next to
/// split-ring guests.
@Suite(.serialized) struct PackedRingForwardingTests {
    static let packedBit: UInt64 = 1 << 34

    static func options(packed: Bool, mergeable: Bool = true, eventIndex: Bool = true, ringSize: Int = 16,
                        receiveBuffer: Int? = nil) -> TestFrontEnd.Options {
        var o = TestFrontEnd.Options()
        o.ringSize = ringSize
        o.receiveBufferLength = receiveBuffer
        if packed { o.driverFeatures |= packedBit }
        if !mergeable { o.driverFeatures &= ~(UInt64(1) << 15) }
        if !eventIndex { o.driverFeatures &= ~(UInt64(1) << 29) }
        return o
    }



    /// Both learn their MAC with a broadcast the other receives.
    private func learn(_ h: SwitchHarness, _ a: String, _ aMAC: UInt8, _ b: String, _ bMAC: UInt8) throws {
        for (from, mac, to) in [(a, aMAC, b), (b, bMAC, a)] {
            let f = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(mac))
            #expect(try deliver(f, from: h.frontEnd(from), to: h.frontEnd(to)), "broadcast \(from) → \(to)")
        }
    }

    @Test(arguments: [true, false])
    func packedAndSplitGuestsExchangeFramesBothWaysAcrossManyWraps(mergeable: Bool) throws {
        let h = try SwitchHarness(ports: [("p", .access(vlan: 10)), ("s", .access(vlan: 10))])
        // With MRG_RXBUF, 512-byte RX buffers: frames up to 1400 bytes span up to three of them.
        let buffer = mergeable ? 512 : nil
        let p = try h.connect("p", options: Self.options(packed: true, mergeable: mergeable, receiveBuffer: buffer))
        let s = try h.connect("s", options: Self.options(packed: false, mergeable: mergeable, receiveBuffer: buffer))
        #expect(p.isPacked && !s.isPacked, "negotiated: p packed, s split (positive control)")
        #expect(p.rings.allSatisfy(\.packed) && !s.rings.contains(where: \.packed))
        try learn(h, "p", 1, "s", 2)
        for i in 0..<120 {
            let length = 60 + (i * 97) % 1340
            let toS = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: length)
            _ = p.reclaimTransmitted()
            try p.send(frame: toS)
            #expect(try h.receive("s", expected: 1) == [toS], "p → s frame \(i) (\(length) bytes)")
            let toP = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: length)
            _ = s.reclaimTransmitted()
            try s.send(frame: toP)
            #expect(try h.receive("p", expected: 1) == [toP], "s → p frame \(i) (\(length) bytes)")
        }
        // 16-slot rings: both of p's rings went round many times, flipping the wrap counters.
        #expect(p.rings[1].packedLaps >= 7, "TX laps \(p.rings[1].packedLaps)")
        #expect(p.rings[0].packedLaps >= 7, "RX laps \(p.rings[0].packedLaps)")
        #expect(try h.counters("p").receiveDrops(.malformedDescriptor) == 0)
        if mergeable { #expect(p.rings[0].packedLaps > p.rings[1].packedLaps, "frames spanned several RX buffers") }
        #expect(try h.counters("s").transmitDrops(.rxRingFull) == 0)
    }

    @Test func vringBaseCarriesSlotAndWrapCounterInBothHalves() throws {
        let h = try SwitchHarness(ports: [("p", .access(vlan: 10)), ("s", .access(vlan: 10))])
        let p = try h.connect("p", options: Self.options(packed: true))
        try h.connect("s", options: Self.options(packed: false))
        try learn(h, "p", 1, "s", 2)
        for i in 0..<21 {
            let f = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 64 + i)
            _ = p.reclaimTransmitted()
            try p.send(frame: f)
            #expect(try h.receive("s", expected: 1) == [f])
        }
        _ = p.reclaimTransmitted()
        // TX: over 16 buffers through a 16-slot ring: the driver's wrap counter went from 1 to 0.
        let expected = p.rings[1].packedAvailBase
        #expect(expected & 0x8000 == 0 && p.rings[1].packedLaps == 1)
        let state = try #require(try p.request(.getVringBase, FrontEndWire.vringState(1, 0), expectReply: true)?.vringState)
        #expect(state.num == UInt32(expected) | UInt32(expected) << 16, "avail and used halves, as QEMU reads them")
        // A stopped ring keeps the base it is given: QEMU's form and DPDK virtio-user's (avail half only).
        for (sent, reported) in [(UInt32(0x8003_8003), UInt32(0x8003_8003)), (0x0000_8000, 0x8000_8000),
                                 (0x0005_0005, 0x0005_0005)] {
            try p.request(.setVringBase, FrontEndWire.vringState(1, sent))
            let back = try #require(try p.request(.getVringBase, FrontEndWire.vringState(1, 0), expectReply: true)?.vringState)
            #expect(back.num == reported, "SET 0x\(String(sent, radix: 16))")
        }
        // Positive control: a split ring refuses a value with packed bits.
        let s = try h.frontEnd("s")
        _ = try s.request(.getVringBase, FrontEndWire.vringState(1, 0), expectReply: true)
        #expect(throws: TestFrontEndError.self) { try s.request(.setVringBase, FrontEndWire.vringState(1, 0x8000_8000), ack: true) }
    }

    @Test func aDPDKStylePackedFrontEndWithIndirectTXSwitchesWithASplitGuest() throws {
        let h = try SwitchHarness(ports: [("p", .access(vlan: 10)), ("s", .access(vlan: 10))])
        // DPDK virtio-user's order and its SET_VRING_BASE (0x8000: the avail half only).
        let p = try TestFrontEnd(connectingTo: h.socketPath("p"), options: Self.options(packed: true))
        try p.dpdkBoot()
        #expect(p.isPacked && p.ackedFeatures & (1 << 28) != 0, "packed, with indirect descriptors")
        let s = try h.connect("s", options: Self.options(packed: false))
        defer { p.disconnect() }
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1))
        #expect(try deliver(hello, from: p, to: s))
        let back = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 300)
        #expect(try deliver(back, from: s, to: p), "split → packed")
        // TX through an indirect table: header and frame in two entries of one buffer.
        let tx = p.rings[1]
        let frame = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 700)
        let buffer = try p.ram.allocate(2048, alignment: 64, region: 1)
        p.ram.fill(buffer.gpa, [UInt8](repeating: 0, count: 12) + frame)
        let table = try p.ram.allocate(64, alignment: 16, region: 0)
        tx.postPackedIndirect(table: table, entries: [(buffer.gpa, 12, 0), (buffer.gpa + 12, UInt32(frame.count), 0)],
                              id: try tx.takeFreeID())
        tx.kick.signal()
        #expect(try h.receive("s", expected: 1) == [frame], "packed indirect → split")
        #expect(try h.counters("p").receiveDrops(.malformedDescriptor) == 0)
    }

    @Test func aGSOFrameFromAPackedRingCrossesWholeOrSegmented() throws {
        let h = try SwitchHarness(ports: [("sender", .access(vlan: 1)), ("capable", .access(vlan: 1)),
                                          ("plain", .access(vlan: 1))])
        var big = Self.options(packed: true, ringSize: 32)
        big.bufferSize = 32 * 1024
        big.regionSize = 8 << 20
        try h.connect("sender", options: big)
        try h.connect("capable", options: Self.options(packed: true))
        var plain = Self.options(packed: false)
        plain.driverFeatures &= OffloadForwardingTests.noGuestOffloads
        try h.connect("plain", options: plain)
        let payload = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let frame = TCPFrames.partial(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), payload: payload)
        try h.frontEnd("sender").send(frame: frame, netHeader: TCPFrames.netHeader(mss: 1448))
        #expect(try h.receive("capable", expected: 1) == [frame], "packed → packed, whole (MRG_RXBUF spans it)")
        let segments = try h.receive("plain", expected: 14)
        #expect(segments.count == 14 && segments.allSatisfy(TCPFrames.checksumsVerify), "packed → split, segmented")
        #expect(segments.flatMap(TCPFrames.payload) == payload)
    }

    @Test func driverEventSuppressionDecidesInterrupts() throws {
        let h = try SwitchHarness(ports: [("p", .access(vlan: 10)), ("s", .access(vlan: 10))])
        let p = try h.connect("p", options: Self.options(packed: true, eventIndex: false))
        try h.connect("s", options: Self.options(packed: false))
        try learn(h, "p", 1, "s", 2)
        let rx = p.rings[0]
        for enabled in [false, true, false] {
            rx.setDriverEvent(flags: enabled ? PackedRing.eventEnable : PackedRing.eventDisable)
            _ = rx.call.drain()
            let f = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 80)
            _ = try h.frontEnd("s").reclaimTransmitted()
            try h.frontEnd("s").send(frame: f)
            #expect(try h.receive("p", expected: 1) == [f])
            usleep(20_000)
            #expect((rx.call.drain() > 0) == enabled, enabled ? "ENABLE: interrupted" : "DISABLE: no interrupt")
        }
    }

    @Test func hostileChainsOnAPackedRingBreakOnlyThatPort() throws {
        let h = try SwitchHarness(ports: [("p", .access(vlan: 10)), ("s", .access(vlan: 10)),
                                          ("n1", .access(vlan: 20)), ("n2", .access(vlan: 20))])
        let p = try h.connect("p", options: Self.options(packed: true))
        try h.connect("s", options: Self.options(packed: false))
        try h.connect("n1", options: Self.options(packed: false))
        try h.connect("n2", options: Self.options(packed: true))
        try learn(h, "p", 1, "s", 2)
        try learn(h, "n1", 3, "n2", 4)
        let tx = p.rings[1]
        let good = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 100)

        // A length no guest memory holds (positive control right after).
        tx.postPackedRaw([(gpa: p.rings[0].buffers[0].gpa, length: 0x7FFF_0000, flags: 0)], id: try tx.takeFreeID())
        tx.kick.signal()
        #expect(try deliver(good, from: p, to: h.frontEnd("s")))
        // A buffer outside guest memory, then an indirect table with an INDIRECT entry (a nested
        // table): each is refused and counted, and the ring goes on (positive control after each).
        tx.postPackedRaw([(gpa: 0xDEAD_0000_0000, length: 100, flags: 0)], id: try tx.takeFreeID())
        tx.kick.signal()
        #expect(try deliver(good, from: p, to: h.frontEnd("s")))
        let table = try p.ram.allocate(64, alignment: 16, region: 0)
        tx.postPackedIndirect(table: table, entries: [(gpa: table.gpa, length: 32, flags: PackedRing.flagIndirect)],
                              id: try tx.takeFreeID())
        tx.kick.signal()
        #expect(try deliver(good, from: p, to: h.frontEnd("s")))
        #expect(try h.counters("p").receiveDrops(.malformedDescriptor) == 3)
        #expect(try h.portState("p") == "running")

        // A buffer id outside the ring: nothing to return it under, the port breaks...
        tx.postPackedRaw([(gpa: table.gpa, length: 60, flags: 0)], id: UInt16(tx.size + 5))
        tx.kick.signal()
        #expect(try #require(try h.waitForPortState("p", "broken (ring-broken)")).hasPrefix("broken"))
        // ...and the neighbours (split and packed) keep forwarding.
        let neighbour = HarnessFrames.make(to: HarnessFrames.mac(4), from: HarnessFrames.mac(3), length: 200)
        #expect(try deliver(neighbour, from: h.frontEnd("n1"), to: h.frontEnd("n2")))
        let back = HarnessFrames.make(to: HarnessFrames.mac(3), from: HarnessFrames.mac(4), length: 200)
        #expect(try deliver(back, from: h.frontEnd("n2"), to: h.frontEnd("n1")))
    }

    @Test func aChainThatNeverEndsBreaksOnlyThatPort() throws {
        let h = try SwitchHarness(ports: [("p", .access(vlan: 10)), ("n1", .access(vlan: 20)), ("n2", .access(vlan: 20))])
        let p = try h.connect("p", options: Self.options(packed: true))
        try h.connect("n1", options: Self.options(packed: true))
        try h.connect("n2", options: Self.options(packed: false))
        try learn(h, "n1", 3, "n2", 4)
        let tx = p.rings[1]
        let table = try p.ram.allocate(64, alignment: 16, region: 0)
        // Every slot flagged NEXT (the last one too): the chain runs round the ring for ever.
        let endless = (0..<tx.size).map { _ in (gpa: table.gpa, length: UInt32(16), flags: PackedRing.flagNext) }
        tx.postPackedRaw(endless, id: 0)
        tx.kick.signal()
        #expect(try #require(try h.waitForPortState("p", "broken (ring-broken)")).hasPrefix("broken"))
        let f = HarnessFrames.make(to: HarnessFrames.mac(4), from: HarnessFrames.mac(3), length: 300)
        #expect(try deliver(f, from: h.frontEnd("n1"), to: h.frontEnd("n2")))
    }
}
