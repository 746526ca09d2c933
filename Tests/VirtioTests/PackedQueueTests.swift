import GuestMemory
import Testing
import TestSupport
import VhostTestFrontEnd
import Virtio

/// `PackedQueue` against the test front-end's packed driver over shared guest RAM, one thread
/// playing both sides (docs/packed-rings.md).
@Suite struct PackedQueueTests {
    static let bufferGPA: UInt64 = 0x3_0000

    private func ring(size: UInt16 = 8, eventIndex: Bool = false, indirect: Bool = true, inOrder: Bool = false,
                      limits: SplitQueue.Limits = SplitQueue.Limits()) throws -> (DriverRing, PackedQueue) {
        let driver = try FixedRingAddresses.driver(size: size)
        driver.usePackedLayout()
        let table = driver.ram.table
        let d = try #require(table.pointer(guestPhysical: FixedRingAddresses.descriptorGPA, length: 16 * Int(size)))
        let a = try #require(table.pointer(guestPhysical: FixedRingAddresses.availGPA, length: 4))
        let u = try #require(table.pointer(guestPhysical: FixedRingAddresses.usedGPA, length: 4))
        let queue = try #require(PackedQueue(size: size, descriptors: d, driverEvent: a, deviceEvent: u, memory: table,
                                             eventIndex: eventIndex, lastAvailIndex: 0x8000,
                                             indirectDescriptors: indirect, inOrder: inOrder, limits: limits))
        return (driver, queue)
    }

    private func bytes(_ queue: PackedQueue, _ chain: DescriptorChain) -> [UInt8] {
        gatherAll(queue.segments(of: chain))
    }

    @Test func transmitChainsOfEveryLengthComeBackInOrderOverManyLaps() throws {
        let (driver, queue) = try ring(size: 8)
        var sent = 0
        for round in 0..<200 {
            // 1 to 3 descriptors per chain, so chains straddle the ring's end in every position.
            let parts = 1 + round % 3
            let payload = pattern(40 * parts, seed: UInt8(truncatingIfNeeded: round))
            driver.ram.fill(Self.bufferGPA, payload)
            let pieces = (0..<parts).map { k in
                (gpa: Self.bufferGPA + UInt64(40 * k), length: UInt32(40), flags: UInt16(0))
            }
            driver.postPackedRaw(pieces, id: UInt16(round % 8))
            #expect(queue.popAvailable(maxChains: 4) == 1)
            let chain = try #require(queue.chains.first)
            #expect(chain.error == nil && chain.head == UInt16(round % 8))
            #expect(bytes(queue, chain) == payload, "round \(round)")
            queue.pushUsedTransmitted(count: 1)
            #expect(queue.publishUsed() == 1)
            let used = try #require(driver.popUsed(), "round \(round): the driver sees the used descriptor")
            #expect(used.id == UInt16(round % 8) && used.length == 0)
            #expect(queue.popAvailable(maxChains: 4) == 0, "nothing more is available")
            sent += parts
        }
        #expect(driver.packedLaps == sent / 8, "the wrap counters flipped \(driver.packedLaps) times")
        #expect(queue.lastAvailIndex == driver.packedAvailBase && queue.usedIndex == driver.packedUsedPosition)
    }

    @Test func mergeableFramesSpanBuffersAndSayHowMany() throws {
        let (driver, queue) = try ring(size: 8)
        for k in 0..<3 {
            driver.postPackedRaw([(Self.bufferGPA + UInt64(k) * 0x1000, 100, PackedRing.flagWrite)], id: UInt16(k))
        }
        let frame = pattern(250, seed: 3)
        let outcome = frame.withUnsafeBytes { raw in
            queue.reserve(bytes: 12 + raw.count, mergeable: true) == .reserved(chains: 3)
                && queue.writeFrame(header: VirtioNetHeader(), headerLength: 12, frame: raw) == 262
        }
        #expect(outcome)
        #expect(queue.commitReservation() == 3)
        #expect(queue.publishUsed() == 3)
        var lengths: [UInt32] = []
        while let used = driver.popUsed() { lengths.append(used.length) }
        #expect(lengths == [100, 100, 62])
        let written = (0..<3).flatMap { driver.ram.bytes(Self.bufferGPA + UInt64($0) * 0x1000, Int(lengths[$0])) }
        #expect(written[10] == 3 && written[11] == 0, "num_buffers 3")
        #expect(Array(written[12...]) == frame)

        // Without MRG_RXBUF one buffer must hold it all: no room in 100 bytes, nothing consumed...
        driver.postPackedRaw([(Self.bufferGPA, 100, PackedRing.flagWrite)], id: 5)
        #expect(queue.reserve(bytes: 262, mergeable: false) == .noRoom)
        #expect(driver.popUsed() == nil)
        // ...and a frame that fits takes it (positive control).
        #expect(queue.reserve(bytes: 90, mergeable: false) == .reserved(chains: 1))
        #expect(queue.commitReservation() == 1)
        queue.publishUsed()
        #expect(driver.popUsed()?.id == 5)
    }

    @Test func aBatchOfUsedDescriptorsBecomesVisibleAtOnceWhenPublished() throws {
        let (driver, queue) = try ring(size: 8)
        for id in 0..<UInt16(3) { driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: id) }
        #expect(queue.popAvailable(maxChains: 8) == 3)
        queue.pushUsedTransmitted(count: 3)
        // The first descriptor's flags are held back, so the driver, reading in ring order, sees
        // none of the batch yet (as a split ring's used.idx is stored once per publish)...
        #expect(driver.popUsed() == nil, "nothing visible before the publish")
        #expect(queue.publishUsed() == 3)
        // ...and all of it after (positive control).
        #expect(driver.popUsed()?.id == 0 && driver.popUsed()?.id == 1 && driver.popUsed()?.id == 2)
        #expect(driver.popUsed() == nil)
        // A batch of one, across the ring's end: the held slot is the one written.
        for round in 0..<UInt16(10) {
            driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: round % 8)
            #expect(queue.popAvailable(maxChains: 8) == 1)
            queue.pushUsedTransmitted(count: 1)
            #expect(driver.popUsed() == nil, "round \(round): held until published")
            queue.publishUsed()
            #expect(driver.popUsed()?.id == round % 8, "round \(round)")
        }
    }

    @Test func withInOrderATransmitBurstComesBackAsOneUsedDescriptor() throws {
        // Without IN_ORDER (positive control): one used descriptor per buffer.
        let (plain, plainQueue) = try ring(size: 8)
        for id in 0..<UInt16(3) { plain.postPackedRaw([(Self.bufferGPA, 60, 0)], id: id) }
        #expect(plainQueue.popAvailable(maxChains: 8) == 3)
        plainQueue.pushUsedTransmitted(count: 3)
        plainQueue.publishUsed()
        #expect(plain.popUsed()?.id == 0 && plain.popUsed()?.id == 1 && plain.popUsed()?.id == 2)

        // With IN_ORDER: the last buffer's id at the first slot, and the used index past all three
        // (chains of 1 and 2 descriptors, so the skip is counted in ring descriptors).
        let (driver, queue) = try ring(size: 8, inOrder: true)
        driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: 5)
        driver.postPackedRaw([(Self.bufferGPA, 30, 0), (Self.bufferGPA + 30, 30, 0)], id: 6)
        driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: 7)
        #expect(queue.popAvailable(maxChains: 8) == 3)
        queue.pushUsedTransmitted(count: 3)
        queue.publishUsed()
        let slot0 = driver.ram.bytes(FixedRingAddresses.descriptorGPA, 16)
        #expect(slot0[12] == 7 && slot0[13] == 0, "the last buffer's id")
        #expect(slot0[15] & 0x80 != 0 && slot0[14] & 0x80 != 0, "AVAIL and USED set (wrap counter 1)")
        let slot1 = driver.ram.bytes(FixedRingAddresses.descriptorGPA + 16, 16)
        #expect(slot1[15] & 0x80 == 0, "the other slots are not written back")
        #expect(queue.usedIndex == 4 | 0x8000 && queue.lastAvailIndex == 4 | 0x8000)
    }

    @Test func indirectTablesCarryTransmitAndReceiveBuffers() throws {
        let (driver, queue) = try ring(size: 8)
        let table = try driver.ram.allocate(64, alignment: 16, region: 0)
        let payload = pattern(120, seed: 9)
        driver.ram.fill(Self.bufferGPA, payload)
        driver.postPackedIndirect(table: table, entries: [(Self.bufferGPA, 20, 0), (Self.bufferGPA + 20, 100, 0)], id: 6)
        #expect(queue.popAvailable(maxChains: 4) == 1)
        let chain = try #require(queue.chains.first)
        #expect(chain.error == nil && chain.head == 6 && bytes(queue, chain) == payload)
        queue.pushUsedTransmitted(count: 1)
        queue.publishUsed()
        #expect(driver.popUsed()?.id == 6)

        // RX through an indirect table of two writable entries.
        let rxTable = try driver.ram.allocate(64, alignment: 16, region: 0)
        driver.postPackedIndirect(table: rxTable, entries: [(0x5_0000, 12, PackedRing.flagWrite),
                                                            (0x5_1000, 200, PackedRing.flagWrite)], id: 2)
        let frame = pattern(150, seed: 4)
        let result = frame.withUnsafeBytes { raw in
            [GuestSegment(base: UnsafeMutableRawPointer(mutating: raw.baseAddress!), length: raw.count)]
                .withUnsafeBufferPointer {
                    queue.receiveFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 0, mergeable: false)
                }
        }
        #expect(result == .reserved(chains: 1))
        queue.publishUsed()
        let used = try #require(driver.popUsed())
        #expect(used.id == 2 && used.length == 162)
        #expect(driver.ram.bytes(0x5_1000, 150) == frame)

        // A table entry flagged INDIRECT (a nested table) is refused, and the ring goes on.
        driver.postPackedIndirect(table: table, entries: [(table.gpa, 32, PackedRing.flagIndirect)], id: 3)
        driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: 4)
        #expect(queue.popAvailable(maxChains: 4) == 2)
        #expect(queue.chains[0].error == .nestedIndirect && queue.chains[1].error == nil)
        queue.pushUsedTransmitted(count: 2)
        queue.publishUsed()
        #expect(driver.popUsed()?.id == 3 && driver.popUsed()?.id == 4)
    }

    @Test func theDeviceEventAreaSaysWhenToKick() throws {
        let (driver, queue) = try ring(size: 8, eventIndex: false)
        #expect(driver.deviceEvent.flags == PackedRing.eventEnable, "a fresh queue wants kicks")
        queue.disableNotifications()
        #expect(driver.deviceEvent.flags == PackedRing.eventDisable)
        #expect(queue.enableNotifications() == false, "nothing available")
        #expect(driver.deviceEvent.flags == PackedRing.eventEnable)
        driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: 1)
        queue.disableNotifications()
        #expect(queue.enableNotifications() == true, "a buffer arrived while kicks were off")

        // EVENT_IDX: DESC at the next slot the device will look at.
        let (driver2, queue2) = try ring(size: 8, eventIndex: true)
        for id in 0..<UInt16(10) {
            driver2.postPackedRaw([(Self.bufferGPA, 60, 0)], id: id % 8)
            #expect(queue2.popAvailable(maxChains: 1) == 1)
            queue2.pushUsedTransmitted(count: 1)
            queue2.publishUsed()
            _ = driver2.popUsed()
        }
        #expect(queue2.enableNotifications() == false)
        #expect(driver2.deviceEvent.flags == PackedRing.eventDescriptor)
        #expect(driver2.deviceEvent.offWrap == 2, "slot 2, wrap counter 0 after one lap")
    }

    @Test func theDriverEventAreaSaysWhenToInterrupt() throws {
        let (driver, queue) = try ring(size: 8, eventIndex: true)
        func completeOne(_ id: UInt16) {
            driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: id)
            _ = queue.popAvailable(maxChains: 1)
            queue.pushUsedTransmitted(count: 1)
            queue.publishUsed()
        }
        completeOne(0)
        #expect(queue.needsNotification(), "the first check after start is unconditional")
        driver.setDriverEvent(flags: PackedRing.eventDisable)
        completeOne(1)
        #expect(!queue.needsNotification(), "DISABLE")
        driver.setDriverEvent(flags: PackedRing.eventEnable)
        completeOne(2)
        #expect(queue.needsNotification(), "ENABLE")
        // DESC: only when the used descriptor at slot 5 (this lap, wrap 1) has been written.
        driver.setDriverEvent(offWrap: 5 | 0x8000, flags: PackedRing.eventDescriptor)
        completeOne(3)
        #expect(!queue.needsNotification(), "slot 3 written, event at 5")
        completeOne(4)
        #expect(!queue.needsNotification(), "slot 4 written, event at 5")
        completeOne(5)
        #expect(queue.needsNotification(), "slot 5 written")
        // Across the wrap: event at slot 1 of the next lap (wrap 0).
        driver.setDriverEvent(offWrap: 1, flags: PackedRing.eventDescriptor)
        completeOne(6); completeOne(7)
        #expect(!queue.needsNotification(), "slots 6, 7 written, event at 1 of the next lap")
        completeOne(0); completeOne(1)
        #expect(queue.needsNotification(), "slot 1 of the next lap written")
    }

    @Test func badAddressesAndIDsFaultOnlyWhatTheyMust() throws {
        let (driver, queue) = try ring(size: 8)
        driver.postPackedRaw([(0xDEAD_0000_0000, 60, 0)], id: 1)
        driver.postPackedRaw([(Self.bufferGPA, 60, 0)], id: 2)
        #expect(queue.popAvailable(maxChains: 4) == 2)
        #expect(queue.chains[0].error == .unmappedAddress && queue.chains[1].error == nil, "the ring goes on")
        queue.pushUsedTransmitted(count: 2)
        #expect(!queue.isBroken)
        // A two-descriptor chain whose last descriptor (the one carrying the id) names no buffer.
        driver.postPackedRaw([(Self.bufferGPA, 30, 0), (Self.bufferGPA, 30, 0)], id: 200)
        #expect(queue.popAvailable(maxChains: 4) == 0)
        #expect(queue.isBroken, "an id outside the ring cannot be returned: the queue stops")
    }

    @Test func layoutRefusesWhatThePackedRingCannotBe() throws {
        #expect(PackedRing.Layout(queueSize: 0) == nil && PackedRing.Layout(queueSize: 32769) == nil)
        #expect(PackedRing.Layout(queueSize: 100) != nil, "any size up to 32768, not only powers of two")
        let layout = try #require(PackedRing.Layout(queueSize: 256))
        #expect(layout.descriptorRingBytes == 4096)
        #expect(!layout.isAligned(descriptors: 0x1008, driverEvent: 0x2000, deviceEvent: 0x3000))
        #expect(!layout.isAligned(descriptors: 0x1000, driverEvent: 0x2002, deviceEvent: 0x3000))
        #expect(layout.isAligned(descriptors: 0x1000, driverEvent: 0x2004, deviceEvent: 0x3004))
    }
}
