import GuestMemory
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

extension VhostUserTests {
/// ADD_MEM_REG / REM_MEM_REG while rings run (docs/memory-hotplug-and-reconnect.md), at the
/// device: what the datapath is told, and what is refused.
@Suite struct MemoryHotplug {
    static let dimmBase: UInt64 = 0x2_0000_0000

    private func running() throws -> PairedSetup {
        let s = try PairedSetup()
        try s.frontEnd.negotiate()
        try s.frontEnd.start()
        #expect(s.delegate.runningRings == [0, 1])
        s.delegate.events = []
        return s
    }

    @Test func addingARegionWhileRingsRunRestartsThemAtTheirIndexOnATableThatHoldsIt() throws {
        let s = try running()
        let dimm = try HotplugMemory(guestPhysicalAddress: Self.dimmBase, size: 1 << 20, name: "hp-dimm")
        try s.frontEnd.plug(dimm)
        #expect(s.delegate.events == [.memoryWillChange, .stopping(0), .stopping(1), .memoryDidChange, .started(0), .started(1)])
        #expect(s.device.memory.count == 3)
        let c = try #require(s.delegate.configurations[0])
        // The restarted ring's table translates the new region to the same bytes the front-end sees.
        let p = try #require(c.memory.pointer(guestPhysical: Self.dimmBase + 4096, length: 64))
        dimm.mapping.base.storeBytes(of: UInt32(0xD1AA_0001), toByteOffset: 4096, as: UInt32.self)
        #expect(p.load(as: UInt32.self) == 0xD1AA_0001)
        #expect(s.device.memoryRegionUse().map(\.guestPhysicalAddress) == [0, 0x1_0000_0000, Self.dimmBase])
    }

    @Test func removingTheRegionARingLiesInReportsThatRingOnly() throws {
        let s = try running()
        // Positive control: memory no ring lies in comes and goes without a report.
        let dimm = try HotplugMemory(guestPhysicalAddress: Self.dimmBase, size: 1 << 20, name: "hp-dimm")
        try s.frontEnd.plug(dimm)
        try s.frontEnd.unplug(dimm)
        #expect(!s.delegate.events.contains { if case .lostMemory = $0 { return true } else { return false } })
        #expect(s.delegate.runningRings == [0, 1])
        s.delegate.events = []
        // The test front-end lays ring 1 (transmitq) in boot region 1 and ring 0 in region 0.
        try s.frontEnd.removeBootRegion(1)
        #expect(s.delegate.events.last == .lostMemory([1]))
        #expect(s.delegate.runningRings == [0])
        #expect(s.device.memory.count == 1)
        // The region back: the ring starts again where it was.
        try s.frontEnd.addBootRegion(1)
        #expect(s.delegate.runningRings == [0, 1])
    }

    @Test func regionUseReadsOnlyInsideTheRingWhateverTheGuestWrites() throws {
        let s = try running()
        let rx = s.frontEnd.rings[0]
        // Positive control: the 256 RX buffers the test front-end posted lie in boot region 1.
        #expect(s.device.memoryRegionUse().map(\.receiveBuffers) == [0, 256])
        // A hostile guest: every entry names descriptor 0xFFFF and the index is far ahead. Both
        // are masked to the ring (descriptor 255, still a buffer in region 1): nothing is read
        // outside the ring's areas, and no more entries are counted than the ring has.
        for k in 0..<rx.size {
            rx.availableRing.pointer.storeBytes(of: UInt16(0xFFFF).littleEndian, toByteOffset: 4 + 2 * k, as: UInt16.self)
        }
        rx.forceAvailIndex(0x8123)
        #expect(s.device.memoryRegionUse().map(\.receiveBuffers) == [0, 256])
        // A descriptor address outside guest memory counts nowhere.
        rx.setDescriptor(255, address: 0xDEAD_0000_0000, length: 2048, flags: 2)
        #expect(s.device.memoryRegionUse().map(\.receiveBuffers) == [0, 0])
    }

    @Test func theSlotCountItAnswersIsTheMostRegionsItAccepts() throws {
        let s = try running()
        let slots = try s.frontEnd.getU64(.getMaxMemSlots)
        #expect(slots == 32)
        var dimms: [HotplugMemory] = []
        // The boot table took 2 slots.
        for k in 0..<(Int(slots) - 2) {
            let dimm = try HotplugMemory(guestPhysicalAddress: Self.dimmBase + UInt64(k) << 24, size: 1 << 16, name: "hp-slot")
            try s.frontEnd.plug(dimm)
            dimms.append(dimm)
        }
        #expect(s.device.memory.count == 32)
        s.delegate.events = []
        let extra = try HotplugMemory(guestPhysicalAddress: Self.dimmBase + 64 << 24, size: 1 << 16, name: "hp-slot")
        #expect(throws: TestFrontEndError.nack(37)) { try s.frontEnd.plug(extra) }
        #expect(s.device.memory.count == 32)
        // Refused before anything changed: the rings were not even stopped.
        #expect(s.delegate.events.isEmpty)
        #expect(s.delegate.runningRings == [0, 1])
        // A freed slot takes it.
        try s.frontEnd.unplug(dimms[0])
        try s.frontEnd.plug(extra)
        #expect(s.device.memory.count == 32)
        #expect(s.delegate.runningRings == [0, 1])
    }
}
}
