@testable import Datapath
import Foundation
import LinuxIO
import SwitchConfig
import SwitchCore
import VhostUser
import Testing
import VhostTestFrontEnd

/// The attacks of issue #9 holes 4 and 7, performed by a guest over a real vhost-user socket
/// with real shared memory against the engine on its own thread (docs/limits.md). Each shows
/// the limit refusing the hostile case, counted, the same path working for the legitimate case,
/// and the other ports unaffected.
@Suite(.serialized) struct LimitAttackTests {
    static let noGuestOffloads: UInt64 = ~((1 << 1) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10))
    /// The largest TCP payload one IPv4 GSO frame can carry: 65535 - 20 - 20.
    static let largestPayload = 65_495

    /// A sender whose TX buffers hold a whole 64 KiB GSO frame, a receiver without any guest
    /// offload (so the switch must segment for it), and two bystanders on another VLAN.
    func harness(senderLimits: PortLimits = PortLimits(), receiverRing: Int = 256) throws -> SwitchHarness {
        let h = try SwitchHarness(ports: [("c1", .access(vlan: 2)), ("c2", .access(vlan: 2))])
        try h.addPort("sender", vlan: .access(vlan: 1), limits: senderLimits)
        try h.addPort("plain", vlan: .access(vlan: 1))
        var big = TestFrontEnd.Options()
        big.ringSize = 8
        big.bufferSize = 66 * 1024
        big.regionSize = 8 << 20
        try h.connect("sender", options: big)
        var plain = TestFrontEnd.Options()
        plain.driverFeatures &= Self.noGuestOffloads
        plain.ringSize = receiverRing
        try h.connect("plain", options: plain)
        try h.connect("c1")
        try h.connect("c2")
        return h
    }

    func gsoFrame(payload: Int, seq: UInt32 = 1000) -> [UInt8] {
        TCPFrames.partial(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1),
                          payload: (0..<payload).map { UInt8(truncatingIfNeeded: $0 * 13) }, seq: seq)
    }

    /// Sends, then waits until the switch has returned the TX chain (the frame was handled).
    func sendAndWaitHandled(_ h: SwitchHarness, _ port: String, frame: [UInt8], netHeader: [UInt8] = []) throws {
        let fe = try h.frontEnd(port)
        try fe.send(frame: frame, netHeader: netHeader)
        let deadline = Date().addingTimeInterval(5)
        while fe.reclaimTransmitted() == 0 {
            guard Date() < deadline else { throw TestFrontEndError.timeout("the TX chain back") }
            usleep(500)
        }
    }

    func bystandersStillSwitch(_ h: SwitchHarness) throws {
        let frame = HarnessFrames.make(to: HarnessFrames.mac(0xC2), from: HarnessFrames.mac(0xC1))
        try h.frontEnd("c1").send(frame: frame)
        #expect(try h.receive("c2", expected: 1) == [frame])
    }

    @Test func aGSOFrameWithGSOSizeOneIsDroppedBeforeAnySegmentIsMade() throws {
        let h = try harness()
        try sendAndWaitHandled(h, "sender", frame: gsoFrame(payload: Self.largestPayload),
                               netHeader: TCPFrames.netHeader(mss: 1))
        #expect(try h.receivesNothing("plain"))
        let plain = try h.counters("plain")
        #expect(plain.transmitDrops(.gsoTooSmall) == 1, "counted once, under its reason")
        #expect(plain.transmitDrops(.rxRingFull) == 0 && plain.transmittedFrames == 0)

        // Positive control: the same path with a real MSS cuts and delivers every segment.
        let payload = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let legit = TCPFrames.partial(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), payload: payload)
        try h.frontEnd("sender").send(frame: legit, netHeader: TCPFrames.netHeader(mss: 1448))
        let segments = try h.receive("plain", expected: 14)
        #expect(segments.count == 14 && segments.allSatisfy(TCPFrames.checksumsVerify))
        #expect(segments.flatMap(TCPFrames.payload) == payload)
        try bystandersStillSwitch(h)
        expectAccountingAddsUp(h.engine, softwareSegmentation: true)
    }

    @Test func aGSOFrameThatWouldMakeTooManySegmentsIsDropped() throws {
        let h = try harness()
        // gso_size 100 passes min-mss (88) but cuts 64 KiB into 655 frames, over max-segments (256).
        try sendAndWaitHandled(h, "sender", frame: gsoFrame(payload: Self.largestPayload),
                               netHeader: TCPFrames.netHeader(mss: 100))
        #expect(try h.receivesNothing("plain"))
        #expect(try h.counters("plain").transmitDrops(.tooManySegments) == 1)
        // Positive control: 64 KiB at 536 (the IPv4 default MSS) is 123 segments, under the limit.
        try h.frontEnd("sender").send(frame: gsoFrame(payload: Self.largestPayload), netHeader: TCPFrames.netHeader(mss: 536))
        let segments = try h.receive("plain", expected: 123)
        #expect(segments.count == 123 && segments.allSatisfy(TCPFrames.checksumsVerify))
        try bystandersStillSwitch(h)
        expectAccountingAddsUp(h.engine, softwareSegmentation: true)
    }

    @Test func aPortsOwnLimitsAdmitWhatTheDefaultsRefuse() throws {
        // The limits belong to the sending port: lowered for it, the same frame is segmented.
        let h = try harness(senderLimits: PortLimits(minMSS: 48, maxSegments: 2000))
        let frame = gsoFrame(payload: 4800)
        try h.frontEnd("sender").send(frame: frame, netHeader: TCPFrames.netHeader(mss: 48))
        let segments = try h.receive("plain", expected: 100)
        #expect(segments.count == 100 && segments.allSatisfy(TCPFrames.checksumsVerify))
        #expect(try h.counters("plain").transmitDrops(.gsoTooSmall) == 0)
        expectAccountingAddsUp(h.engine, softwareSegmentation: true)
    }

    @Test func segmentationStopsAtTheFirstSegmentWithoutRoomAndCountsItOnce() throws {
        let h = try harness(receiverRing: 16)
        // 64 KiB at 1448 is 46 segments; the receiver has 16 buffers.
        try sendAndWaitHandled(h, "sender", frame: gsoFrame(payload: Self.largestPayload),
                               netHeader: TCPFrames.netHeader(mss: 1448))
        #expect(try h.receive("plain", expected: 16).count == 16)
        let plain = try h.counters("plain")
        #expect(plain.transmittedFrames == 16)
        #expect(plain.transmitDrops(.rxRingFull) == 1, "the rest of the frame is one drop, not 30")
        // Positive control: with its buffers back, a frame that fits is delivered whole.
        try h.frontEnd("sender").send(frame: gsoFrame(payload: 14_480, seq: 99_000), netHeader: TCPFrames.netHeader(mss: 1448))
        #expect(try h.receive("plain", expected: 10).count == 10)
        try bystandersStillSwitch(h)
        expectAccountingAddsUp(h.engine, softwareSegmentation: true)
    }

    @Test func aChainOfEmptyDescriptorsIsCountedTooLongAndThePortKeepsWorking() throws {
        let h = try SwitchHarness(ports: [("guest", .access(vlan: 1)), ("peer", .access(vlan: 1)),
                                          ("c1", .access(vlan: 2)), ("c2", .access(vlan: 2))])
        let guest = try h.connect("guest")
        try h.connect("peer")
        try h.connect("c1")
        try h.connect("c2")
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(7))
        let bytes = [UInt8](repeating: 0, count: guest.netHeaderLength) + frame
        let tx = guest.rings[1]

        // 199 empty descriptors and the frame: 200 descriptors for 76 bytes, over the default 64.
        try tx.postChain(lengths: Array(repeating: 0, count: 199) + [bytes.count], writable: false, contents: bytes)
        tx.kick.signal()
        #expect(try h.receivesNothing("peer"))
        #expect(try h.counters("guest").receiveDrops(.chainTooLong) == 1)
        #expect(try h.counters("guest").receiveDrops(.malformedDescriptor) == 0)

        // Positive control: the same kind of chain within the limit (9 empty + the frame) is a frame.
        try tx.postChain(lengths: Array(repeating: 0, count: 9) + [bytes.count], writable: false, contents: bytes)
        tx.kick.signal()
        #expect(try h.receive("peer", expected: 1) == [frame])
        // And the port goes on with ordinary frames.
        try guest.send(frame: frame)
        #expect(try h.receive("peer", expected: 1) == [frame])
        try bystandersStillSwitch(h)
        expectAccountingAddsUp(h.engine)
    }

    @Test func anIndirectTableOfEmptyEntriesIsCountedTooLongAndThePortKeepsWorking() throws {
        let h = try SwitchHarness(ports: [("guest", .access(vlan: 1)), ("peer", .access(vlan: 1))])
        let guest = try h.connect("guest")
        try h.connect("peer")
        #expect(guest.ackedFeatures & (1 << 28) != 0, "INDIRECT_DESC negotiated")
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(8))
        let bytes = [UInt8](repeating: 0, count: guest.netHeaderLength) + frame
        let tx = guest.rings[1]
        let table = try guest.ram.allocate(16 * 256, alignment: 16, region: 0)

        // 1 INDIRECT descriptor + 255 empty entries + the frame: refused before the table is copied.
        try tx.postIndirect(table: table, empty: 255, writable: false, contents: bytes)
        tx.kick.signal()
        #expect(try h.receivesNothing("peer"))
        #expect(try h.counters("guest").receiveDrops(.chainTooLong) == 1)

        // Positive control: the same table with 20 empty entries (22 descriptors) is a frame.
        try tx.postIndirect(table: table, empty: 20, writable: false, contents: bytes)
        tx.kick.signal()
        #expect(try h.receive("peer", expected: 1) == [frame])
        #expect(try h.counters("guest").receiveDrops(.chainTooLong) == 1)
        expectAccountingAddsUp(h.engine)
    }

    @Test func aMemoryTableLargerThanThePortLimitIsRefusedBeforeMapping() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try h.connect("b")
        let fe = try TestFrontEnd(connectingTo: h.socketPath("a"))
        try fe.negotiate()
        // A sparse memfd of 2 TiB costs the front-end nothing; mapping it would cost us 2 TiB of
        // address space (over the default 1 TiB limit).
        let huge = try Memfd.create(name: "limits-huge", size: 2 << 40)
        var region = fe.ram.regions[0]
        region.size = 2 << 40
        region.mmapOffset = 0
        #expect(throws: TestFrontEndError.self) {
            try fe.request(.setMemTable, FrontEndWire.memoryTable([region]), fds: [huge.rawValue], ack: true)
        }
        #expect(try refusals(h, "a") == 1)

        // Positive control: the front-end's real 8 MiB table is accepted and the port forwards.
        try fe.start()
        #expect(try refusals(h, "a") == 1)
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0xA))
        try fe.send(frame: frame)
        #expect(try h.receive("b", expected: 1) == [frame])
        fe.disconnect()
        expectAccountingAddsUp(h.engine)
    }

    @Test func anAddedRegionThatTakesThePortOverItsLimitIsRefused() throws {
        let h = try SwitchHarness(ports: [("b", .access(vlan: 1))])
        try h.addPort("a", vlan: .access(vlan: 1), limits: PortLimits(maxGuestMemory: 16 << 20))
        try h.connect("b")
        // Two 4 MiB regions, the low one at mmap offset 4 MiB of the file: mapped from offset 0,
        // they take 4 + 8 = 12 MiB of address space of the 16 MiB allowed.
        let fe = try h.connect("a")
        let extra = try Memfd.create(name: "limits-extra", size: 8 << 20)
        func region(_ k: UInt64) -> GuestRAM.Region {
            var r = fe.ram.regions[1]
            r.guestPhysicalAddress = 0x2_0000_0000 + k << 22
            r.userspaceAddress += 1 << 40 + k << 22
            r.mmapOffset = k << 22
            return r
        }
        // Positive control: a third 4 MiB region (offset 0) brings the port to exactly its limit.
        try fe.request(.addMemReg, FrontEndWire.singleRegion(region(0)), fds: [extra.rawValue], ack: true)
        #expect(try refusals(h, "a") == 0)
        // A fourth (offset 4 MiB: 8 MiB mapped) would pass it: refused, counted, nothing mapped.
        #expect(throws: TestFrontEndError.self) {
            try fe.request(.addMemReg, FrontEndWire.singleRegion(region(1)), fds: [extra.rawValue], ack: true)
        }
        #expect(try refusals(h, "a") == 1)
        #expect(try mappedRegions(h, "a") == 3)
        // The port still forwards from its RAM.
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0xA))
        try fe.send(frame: frame)
        #expect(try h.receive("b", expected: 1) == [frame])
        expectAccountingAddsUp(h.engine)
    }

    private func mappedRegions(_ h: SwitchHarness, _ port: String) throws -> Int {
        let n = try h.engine.perform { e -> Int? in
            guard let i = e.portIndex(named: port) else { return nil }
            return e.ports[Int(i)]?.vhost?.device.memory.count
        }.get()
        return try #require(n)
    }

    private func refusals(_ h: SwitchHarness, _ port: String) throws -> Int {
        let n = try h.engine.perform { e -> Int? in
            guard let i = e.portIndex(named: port) else { return nil }
            return e.ports[Int(i)]?.vhost?.device.memoryLimitRefusals
        }.get()
        return try #require(n)
    }
}

extension SwitchHarness {
    /// A server-mode port with its own limits, next to the ones the harness made.
    func addPort(_ name: String, vlan: PortMode, limits: PortLimits = PortLimits()) throws {
        let spec = PortSpecification(name: name, kind: .vhostUser(socketPath: socketPath(name), mode: .server, queuePairs: 1),
                                     vlan: vlan, macLimit: nil, mtu: 1500, limits: limits)
        try engine.perform { $0.addPort(spec) }.get().get()
    }
}

/// The config file's defaults (SwitchConfig) and the engine's (Datapath) are written twice, as
/// neither module depends on the other: they must agree.
@Test func limitDefaultsMatchTheDatapath() {
    let file = SwitchConfig.LimitSettings()
    let engine = PortLimits()
    #expect(file.maxGuestMemory == engine.maxGuestMemory)
    #expect(file.maxChainDescriptors == engine.maxChainDescriptors)
    #expect(file.minMSS == engine.minMSS)
    #expect(file.maxSegments == engine.maxSegments)
    #expect(VhostUser.VhostUserDevice.Configuration().maxGuestMemory == engine.maxGuestMemory)
}
