import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd
import VhostUser

/// Memory hot-plugged into running guests (docs/memory-hotplug-and-reconnect.md): frames go out of
/// and into buffers in the new memory; memory taken from under a ring breaks only that port; more
/// regions than the slots announced are refused, only for that port. Real engine thread, real
/// sockets, real shared memory.
@Suite(.serialized) struct MemoryHotplugForwardingTests {
    static let dimmBase: UInt64 = 0x2_0000_0000

    private func runtime(_ h: SwitchHarness, _ port: String) throws -> PortRuntime {
        let rt = try h.engine.perform { $0.portRuntime().first { $0.spec.name == port } }.get()
        return try #require(rt)
    }

    private func waitForState(_ h: SwitchHarness, _ port: String, _ state: String, timeout: Double = 2) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try runtime(h, port).state.description
            if last == state { return last }
            usleep(5_000)
        }
        return last
    }

    /// Waits until `ring` of `fe` has `count` used entries the driver has not popped; pops them:
    /// (descriptor id, bytes written) in order.
    private func popUsed(_ fe: TestFrontEnd, ring: Int, count: Int, timeout: Double = 2) -> [(id: UInt16, length: UInt32)] {
        var out: [(id: UInt16, length: UInt32)] = []
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline {
            if let u = fe.rings[ring].popUsed() { out.append(u) } else { usleep(1_000) }
        }
        return out
    }

    /// a ⇄ c both ways.
    private func expectSwitching(_ h: SwitchHarness, _ a: String, _ c: String, _ note: Comment) throws {
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 80)
        #expect(try deliver(hello, from: h.frontEnd(a), to: h.frontEnd(c)), note)
        let answer = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(3), length: 120)
        #expect(try deliver(answer, from: h.frontEnd(c), to: h.frontEnd(a)), note)
    }

    @Test func framesGoOutOfAndIntoBuffersInHotAddedMemoryWhileRingsRun() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        let a = try h.connect("a")
        var small = TestFrontEnd.Options()
        small.ringSize = 16
        let b = try h.connect("b", options: small)
        let toB = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 100)
        #expect(try deliver(toB, from: a, to: b), "before the hot-plug")
        #expect(try runtime(h, "b").memoryRegions.count == 2)

        // Plug a DIMM into each guest while their rings run.
        let dimmA = try HotplugMemory(guestPhysicalAddress: Self.dimmBase, name: "hp-dimm-a")
        let dimmB = try HotplugMemory(guestPhysicalAddress: Self.dimmBase, name: "hp-dimm-b")
        try a.plug(dimmA)
        try b.plug(dimmB)
        #expect(try waitForState(h, "b", "running") == "running")
        let regions = try runtime(h, "b").memoryRegions
        #expect(regions.map(\.guestPhysicalAddress) == [0, 0x1_0000_0000, Self.dimmBase])
        #expect(regions.last?.receiveBuffers == 0, "nothing posted in the new memory yet")

        // b's guest retires the 16 boot-memory RX buffers it has posted (frames land in them) and
        // posts 16 in the new memory instead.
        let hlen = b.netHeaderLength
        let filler = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 64)
        for _ in 0..<16 { try a.send(frame: filler); _ = a.reclaimTransmitted() }
        #expect(popUsed(b, ring: 0, count: 16).count == 16)
        var blocks: [UInt16: GuestRAM.Block] = [:]
        for _ in 0..<16 {
            let block = try dimmB.allocate(2048)
            blocks[try b.rings[0].post(buffer: block, writable: true)] = block
        }
        #expect(try runtime(h, "b").memoryRegions.last?.receiveBuffers == 16, "yardctl ports --json shows them")

        // Frames to b land in the new memory.
        let frames = (0..<8).map { k in HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 200 + k) }
        for f in frames { try a.send(frame: f); _ = a.reclaimTransmitted() }
        let used = popUsed(b, ring: 0, count: frames.count)
        #expect(used.count == frames.count)
        for (k, u) in used.enumerated() {
            let block = try #require(blocks[u.id], "a descriptor b posted in the new memory")
            #expect(Int(u.length) == hlen + frames[k].count)
            let bytes = Array(UnsafeRawBufferPointer(start: block.pointer + hlen, count: frames[k].count))
            #expect(bytes == frames[k], "frame \(k) in the hot-added memory")
        }

        // And a frame sent from a buffer in a's new memory reaches b (into the new memory again).
        let fromDIMM = HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 300)
        let txBlock = try dimmA.allocate(2048)
        try a.rings[1].post(buffer: txBlock, length: a.netHeaderLength + fromDIMM.count, writable: false,
                            contents: [UInt8](repeating: 0, count: a.netHeaderLength) + fromDIMM)
        a.rings[1].kick.signal()
        let last = popUsed(b, ring: 0, count: 1)
        let block = try #require(last.first.flatMap { blocks[$0.id] })
        #expect(Array(UnsafeRawBufferPointer(start: block.pointer + hlen, count: fromDIMM.count)) == fromDIMM)
        #expect(try h.counters("b").receiveDrops(.malformedDescriptor) == 0)
        #expect(try h.counters("a").receiveDrops(.malformedDescriptor) == 0)
        expectAccountingAddsUp(h.engine)
    }

    @Test func removingTheMemoryARunningRingLiesInBreaksOnlyThatPort() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("c", .access(vlan: 10)), ("x", .access(vlan: 10))])
        for p in ["a", "c", "x"] { try h.connect(p) }
        let x = try h.frontEnd("x")
        let errorFD = try x.installErrorNotifier(ring: 1)
        try expectSwitching(h, "a", "c", "before")
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 90)
        #expect(try deliver(fromX, from: x, to: h.frontEnd("a")), "x works before")

        // Positive control: memory no ring lies in comes and goes, x keeps running.
        let dimm = try HotplugMemory(guestPhysicalAddress: Self.dimmBase, name: "hp-dimm-x")
        try x.plug(dimm)
        try x.unplug(dimm)
        #expect(try waitForState(h, "x", "running") == "running")
        #expect(try runtime(h, "x").faults == 0)

        // x's front-end removes boot region 1, where its TX ring lies (and its RX buffers).
        try x.removeBootRegion(1)
        #expect(try waitForState(h, "x", "broken (ring-memory-removed)") == "broken (ring-memory-removed)")
        let rt = try runtime(h, "x")
        #expect(rt.faults == 1)
        #expect(rt.reason?.contains("removed the memory") == true)
        #expect(rt.memoryRegions.count == 1)
        #expect(errorFD.drain() >= 1, "SET_VRING_ERR's eventfd is signalled")

        // Only x: a and c keep switching; a flood from a reaches c and nothing goes into x.
        try expectSwitching(h, "a", "c", "after x broke")
        let sentToX = try h.counters("x").transmittedFrames
        let flood = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 77)
        #expect(try deliver(flood, from: h.frontEnd("a"), to: h.frontEnd("c")))
        #expect(try h.counters("x").transmittedFrames == sentToX)

        // The memory back under the ring: x runs again.
        try x.addBootRegion(1)
        #expect(try waitForState(h, "x", "running") == "running")
        #expect(try deliver(fromX, from: x, to: h.frontEnd("c")), "x works after the region came back")
        expectAccountingAddsUp(h.engine)
        let start = ContinuousClock.now
        h.engine.stop()
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func moreRegionsThanTheSlotsAnnouncedAreRefusedForThatPortOnly() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("c", .access(vlan: 10)), ("x", .access(vlan: 10))])
        for p in ["a", "c", "x"] { try h.connect(p) }
        let x = try h.frontEnd("x")
        let slots = Int(try x.getU64(.getMaxMemSlots))
        #expect(slots == 32)
        var dimms: [HotplugMemory] = []
        for k in 0..<(slots - 2) {
            let dimm = try HotplugMemory(guestPhysicalAddress: Self.dimmBase + UInt64(k) << 24, size: 1 << 16, name: "hp-slot")
            try x.plug(dimm)
            dimms.append(dimm)
        }
        #expect(try runtime(h, "x").memoryRegions.count == slots, "every slot it announced can be used")
        let extra = try HotplugMemory(guestPhysicalAddress: Self.dimmBase + UInt64(slots) << 24, size: 1 << 16, name: "hp-slot")
        #expect(throws: TestFrontEndError.nack(37)) { try x.plug(extra) }
        #expect(try runtime(h, "x").memoryRegions.count == slots)
        // x keeps running on the memory it has, and the others never noticed.
        #expect(try waitForState(h, "x", "running") == "running")
        #expect(try runtime(h, "x").faults == 0)
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 90)
        #expect(try deliver(fromX, from: x, to: h.frontEnd("a")))
        try expectSwitching(h, "a", "c", "after x's refusal")
        expectAccountingAddsUp(h.engine)
    }
}
