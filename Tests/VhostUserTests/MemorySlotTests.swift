import GuestMemory
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

extension VhostUserTests {
/// ADD_MEM_REG / REM_MEM_REG as QEMU 7.2 sends them with multiqueue: once per queue pair.
@Suite struct MemorySlots {
    let device = Device()

    func memfd() throws -> OwnedFileDescriptor { try Memfd.create(name: "slot", size: 1 << 20) }

    func acked(_ response: VhostUserDevice.Response) -> Bool {
        device.reply(response)?.u64 == 0
    }

    @Test func theSameRegionAddedPerQueuePairIsMappedOnceAndRemovedWithItsLastReference() throws {
        let d = device.device()
        _ = d.handle(device.message(.setProtocolFeatures, .u64(VhostUserProtocolFeatures([.replyAck, .configureMemorySlots]).rawValue)))
        let region = MemoryRegionDescriptor(guestPhysicalAddress: 0x1000_0000, size: 1 << 20,
                                            userspaceAddress: 0x7f00_0000_0000, mmapOffset: 0)
        for _ in 0..<2 {
            #expect(acked(d.handle(device.message(.addMemReg, .singleRegion(region), needReply: true, fds: [try memfd()]))))
        }
        #expect(d.memory.count == 1)
        #expect(acked(d.handle(device.message(.remMemReg, .singleRegion(region), needReply: true))))
        #expect(d.memory.pointer(guestPhysical: 0x1000_0000, length: 64) != nil, "still referenced by the other pair")
        #expect(acked(d.handle(device.message(.remMemReg, .singleRegion(region), needReply: true))))
        #expect(d.memory.count == 0)
        #expect(!acked(d.handle(device.message(.remMemReg, .singleRegion(region), needReply: true))))
    }

    @Test func aDifferentRegionOverlappingAnExistingOneIsStillRefused() throws {
        let d = device.device()
        _ = d.handle(device.message(.setProtocolFeatures, .u64(VhostUserProtocolFeatures([.replyAck, .configureMemorySlots]).rawValue)))
        let a = MemoryRegionDescriptor(guestPhysicalAddress: 0, size: 1 << 20, userspaceAddress: 0x7f00_0000_0000, mmapOffset: 0)
        let b = MemoryRegionDescriptor(guestPhysicalAddress: 0x8_0000, size: 1 << 20, userspaceAddress: 0x7e00_0000_0000, mmapOffset: 0)
        #expect(acked(d.handle(device.message(.addMemReg, .singleRegion(a), needReply: true, fds: [try memfd()]))))
        #expect(!acked(d.handle(device.message(.addMemReg, .singleRegion(b), needReply: true, fds: [try memfd()]))))
    }
}
}
