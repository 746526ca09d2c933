import GuestMemory
import LinuxIO
import Testing
import Virtio
@testable import VhostUser

/// Inputs found by the libFuzzer targets in Fuzz/ (docs/fuzzing.md), each replayed as the messages
/// it contained. The crashing inputs themselves are kept under Fuzz/Corpus/vhost-user/crash-*.
extension VhostUserTests {
@Suite struct FuzzRegressions {
    final class Starts: VhostUserDeviceDelegate {
        var configurations: [Int: RingConfiguration] = [:]
        func ringStarted(device: VhostUserDevice, index: Int, configuration: RingConfiguration) {
            configurations[index] = configuration
        }
        func ringStopping(device: VhostUserDevice, index: Int) -> UInt16 {
            configurations[index] = nil
            return 0
        }
        func deviceDisconnected(device: VhostUserDevice) {}
    }

    func message(_ r: VhostUserRequest, _ payload: VhostUserPayload = .empty, fds: [OwnedFileDescriptor] = []) -> VhostUserMessage {
        VhostUserMessage(code: r.rawValue, flags: 0x9, payload: payload, descriptors: fds)
    }

    /// The ack u64 of a NEED_REPLY request (0 done, 1 refused).
    func ack(_ response: VhostUserDevice.Response) -> UInt64? {
        guard case .reply(let bytes) = response, bytes.count == 20 else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12, as: UInt64.self) }
    }

    /// crash-2d02352802e079eeb8579cce9831f76dccb0a55e: SET_MEM_TABLE with a region at UVA
    /// 0x7f000000003d (mmap offset 0), then a ring at UVAs aligned 16/2/4. The UVAs passed the
    /// alignment check but our pointers, base + (uva - 0x...3d), did not, and the device started a
    /// ring that SplitQueue refuses. Now SET_VRING_ADDR is refused and the ring never starts; the
    /// same session with the region at an aligned UVA starts it (positive control).
    @Test(arguments: [(UInt64(0x7F00_0000_003D), false), (UInt64(0x7F00_0000_0000), true)])
    func ringIsRefusedWhenTheRegionShiftsItsPointersOffAlignment(regionUVA: UInt64, starts: Bool) throws {
        let starts_ = Starts()
        let d = VhostUserDevice(name: "fuzz-regression", delegate: starts_)
        d.logger.logLevel = .critical
        d.connectionOpened()
        _ = d.handle(message(.setProtocolFeatures, .u64(VhostUserProtocolFeatures.replyAck.rawValue)))
        let features = VirtioFeatures([.version1, .vhostUserProtocolFeatures])
        #expect(ack(d.handle(message(.setFeatures, .u64(features.rawValue)))) == 0)
        let ram = try Memfd.create(name: "fuzz-regression-ram", size: 0x40000)
        let region = MemoryRegionDescriptor(guestPhysicalAddress: 0, size: 0x40000, userspaceAddress: regionUVA, mmapOffset: 0)
        #expect(ack(d.handle(message(.setMemTable, .memoryTable([region]), fds: [ram]))) == 0)
        #expect(ack(d.handle(message(.setVringNum, .vringState(VringState(index: 0, num: 256))))) == 0)
        let address = VringAddress(index: 0, flags: 0, descriptorUVA: 0x7F00_0001_0000, usedUVA: 0x7F00_0001_2000,
                                   availableUVA: 0x7F00_0001_1000, logGPA: 0)
        #expect(ack(d.handle(message(.setVringAddr, .vringAddress(address)))) == (starts ? 0 : 1))
        #expect(ack(d.handle(message(.setVringBase, .vringState(VringState(index: 0, num: 0))))) == 0)
        #expect(ack(d.handle(message(.setVringKick, .u64(0), fds: [try EventFD().descriptor.duplicate()]))) == 0)
        #expect(ack(d.handle(message(.setVringEnable, .vringState(VringState(index: 0, num: 1))))) == 0)

        #expect((starts_.configurations[0] != nil) == starts)
        if let c = starts_.configurations[0] {
            // What the datapath does with a started ring: it must accept the pointers.
            #expect(SplitQueue(size: UInt16(c.size), descriptors: c.descriptorTable, avail: c.availableRing,
                               used: c.usedRing, memory: c.memory, eventIndex: c.eventIndex,
                               lastAvailIndex: c.nextAvailableIndex) != nil)
        }
        d.connectionClosed()
    }
}
}
