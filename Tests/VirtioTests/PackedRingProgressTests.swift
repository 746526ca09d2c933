import GuestMemory
import Testing
import TestSupport
import VhostTestFrontEnd
import Virtio

/// A packed ring's progress record (`PackedRingProgress`): what a back-end killed in the middle of
/// a batch leaves behind is enough for the next one to finish the batch, so the driver sees every
/// completion once and the ring runs on (docs/memory-hotplug-and-reconnect.md, "Packed rings").
@Suite struct PackedRingProgressTests {
    static let bufferGPA: UInt64 = 0x3_0000

    private struct Ring {
        let driver: DriverRing
        let descriptors: UnsafeMutableRawPointer
        let queue: PackedQueue
        let record: UnsafeMutableRawPointer
    }

    private func ring(size: UInt16 = 8, at base: UInt16 = 0x8000, on driver: DriverRing? = nil,
                      record: UnsafeMutableRawPointer? = nil) throws -> Ring {
        let driver = try driver ?? {
            let d = try FixedRingAddresses.driver(size: size)
            d.usePackedLayout()
            return d
        }()
        let table = driver.ram.table
        let d = try #require(table.pointer(guestPhysical: FixedRingAddresses.descriptorGPA, length: 16 * Int(size)))
        let a = try #require(table.pointer(guestPhysical: FixedRingAddresses.availGPA, length: 4))
        let u = try #require(table.pointer(guestPhysical: FixedRingAddresses.usedGPA, length: 4))
        let record = record ?? .allocate(byteCount: PackedRingProgress.byteCount, alignment: 8)
        let queue = try #require(PackedQueue(size: size, descriptors: d, driverEvent: a, deviceEvent: u, memory: table,
                                             eventIndex: false, lastAvailIndex: base, progressRecord: record))
        return Ring(driver: driver, descriptors: d, queue: queue, record: record)
    }

    private func post(_ r: Ring, ids: [UInt16]) {
        for id in ids { r.driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: id) }
    }

    private func drain(_ driver: DriverRing) -> [UInt16] {
        var ids: [UInt16] = []
        while let used = driver.popUsed() { ids.append(used.id) }
        return ids
    }

    @Test func aBatchKilledBeforeItsPublishIsRevealedAndTheRingGoesOnAfterIt() throws {
        let r = try ring()
        defer { r.record.deallocate() }
        post(r, ids: [0, 1, 2])
        #expect(r.queue.popAvailable(maxChains: 8) == 3)
        r.queue.pushUsedTransmitted(count: 3)
        // Killed here: three used descriptors written, the first one's flags held back.
        #expect(r.driver.popUsed() == nil, "the driver sees none of the batch")
        let resume = PackedRingProgress.recover(r.record, ring: r.descriptors, size: 8)
        #expect(resume == 0x8003, "resume after the three completions")
        #expect(drain(r.driver) == [0, 1, 2], "each completion reaches the driver once")
        // A queue started there takes the next chain (nothing taken twice, nothing skipped).
        let next = try ring(at: try #require(resume), on: r.driver, record: r.record)
        post(next, ids: [3])
        #expect(next.queue.popAvailable(maxChains: 8) == 1 && next.queue.chains.first?.head == 3)
    }

    @Test func aDescriptorCutShortIsWrittenWholeFromThePendingRecord() throws {
        let r = try ring()
        defer { r.record.deallocate() }
        post(r, ids: [0, 1, 2])
        #expect(r.queue.popAvailable(maxChains: 8) == 3)
        r.queue.pushUsedTransmitted(count: 2)
        // Killed inside the third pushUsed, right after it recorded what it was about to write
        // (end slot 3, id 2, 77 bytes) and before it touched the descriptor.
        let pending = UInt64(0x8003) | UInt64(2) << 16 | UInt64(77) << 32
        r.record.storeBytes(of: pending, toByteOffset: 8, as: UInt64.self)
        #expect(PackedRingProgress.recover(r.record, ring: r.descriptors, size: 8) == 0x8003)
        var got: [(UInt16, UInt32)] = []
        while let used = r.driver.popUsed() { got.append((used.id, used.length)) }
        #expect(got.map(\.0) == [0, 1, 2] && got.map(\.1) == [0, 0, 77], "the third one whole: id and length")
    }

    @Test func aPublishedRingResumesWhereItStoppedAndChangesNothing() throws {
        let r = try ring()
        defer { r.record.deallocate() }
        for lap in 0..<5 {
            post(r, ids: [0, 1, 2])
            #expect(r.queue.popAvailable(maxChains: 8) == 3)
            r.queue.pushUsedTransmitted(count: 3)
            r.queue.publishUsed()
            #expect(drain(r.driver) == [0, 1, 2], "lap \(lap)")
        }
        // 15 slots used in a ring of 8: slot 7 of the second lap (wrap counter 0).
        #expect(PackedRingProgress.published(r.record) == 7)
        #expect(PackedRingProgress.recover(r.record, ring: r.descriptors, size: 8) == 7)
        #expect(r.driver.popUsed() == nil, "nothing new for the driver")
    }

    @Test func aRecordNamingSlotsOutsideTheRingIsNotUsed() throws {
        let r = try ring()
        defer { r.record.deallocate() }
        r.record.storeBytes(of: UInt16(0x8009), toByteOffset: 2, as: UInt16.self)
        #expect(PackedRingProgress.recover(r.record, ring: r.descriptors, size: 8) == nil)
        PackedRingProgress.reset(r.record, to: 0x8005)
        #expect(PackedRingProgress.recover(r.record, ring: r.descriptors, size: 8) == 0x8005, "positive control")
    }
}
