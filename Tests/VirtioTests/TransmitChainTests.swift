import GuestMemory
import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

@Suite struct TransmitChainTests {
    private func setUp(size: UInt16 = 16, indirect: Bool = false,
                       limits: SplitQueue.Limits = SplitQueue.Limits()) throws -> (DriverRing, SplitQueue) {
        let driver = try FixedRingAddresses.driver(size: size)
        let queue = try #require(driver.makeQueue(eventIndex: true, indirect: indirect, limits: limits))
        return (driver, queue)
    }

    private func onlyChain(_ queue: SplitQueue) throws -> DescriptorChain {
        #expect(queue.popAvailable(maxChains: 32) == 1)
        return try #require(queue.chains.first)
    }

    @Test func popsSingleDescriptorChainWithItsBytes() throws {
        let (driver, queue) = try setUp()
        driver.ram.fill(0x3_0000, pattern(100, seed: 1))
        let head = driver.addChain([(0x3_0000, 100)], writable: false)
        let chain = try onlyChain(queue)
        #expect(chain.head == head && chain.error == nil && chain.length == 100)
        #expect(gatherAll(queue.segments(of: chain)) == pattern(100, seed: 1))
        #expect(queue.lastAvailIndex == 1)
        #expect(queue.popAvailable(maxChains: 32) == 0)
    }

    @Test func popsMultiDescriptorChainAsOneByteStreamInOrder() throws {
        let (driver, queue) = try setUp()
        driver.ram.fill(0x3_0000, pattern(12, seed: 1))
        driver.ram.fill(0x4_0000, pattern(60, seed: 2))
        driver.ram.fill(0x5_0000, pattern(30, seed: 3))
        driver.addChain([(0x3_0000, 12), (0x4_0000, 60), (0x5_0000, 30)], writable: false)
        let chain = try onlyChain(queue)
        #expect(chain.error == nil && chain.length == 102 && chain.segmentCount == 3)
        #expect(gatherAll(queue.segments(of: chain)) == pattern(12, seed: 1) + pattern(60, seed: 2) + pattern(30, seed: 3))
    }

    @Test func splitsDescriptorStraddlingTwoRegionsIntoTwoSegments() throws {
        let (driver, queue) = try setUp()
        driver.ram.fill(0xF_FF80, pattern(0x100, seed: 4))
        driver.addChain([(0xF_FF80, 0x100)], writable: false)
        let chain = try onlyChain(queue)
        #expect(chain.error == nil && chain.segmentCount == 2)
        #expect(gatherAll(queue.segments(of: chain)) == pattern(0x100, seed: 4))
    }

    @Test func followsIndirectTableWhenNegotiated() throws {
        let (driver, queue) = try setUp(indirect: true)
        driver.ram.fill(0x3_0000, pattern(12, seed: 5))
        driver.ram.fill(0x4_0000, pattern(200, seed: 6))
        let head = driver.addIndirectChain([(0x3_0000, 12), (0x4_0000, 200)], writable: false, table: FixedRingAddresses.indirectGPA)
        let chain = try onlyChain(queue)
        #expect(chain.head == head && chain.error == nil && chain.length == 212)
        #expect(gatherAll(queue.segments(of: chain)) == pattern(12, seed: 5) + pattern(200, seed: 6))
    }

    @Test func followsIndirectTableThatStraddlesRegions() throws {
        let (driver, queue) = try setUp(indirect: true)
        driver.ram.fill(0x3_0000, pattern(64, seed: 7))
        // Two 16-byte entries, the second one across the region boundary.
        driver.addIndirectChain([(0x3_0000, 32), (0x3_0020, 32)], writable: false, table: 0xF_FFF0)
        let chain = try onlyChain(queue)
        #expect(chain.error == nil)
        #expect(gatherAll(queue.segments(of: chain)) == pattern(64, seed: 7))
    }

    @Test func refusesIndirectTableWhenNotNegotiated() throws {
        let (driver, queue) = try setUp(indirect: false)
        driver.addIndirectChain([(0x3_0000, 12)], writable: false, table: FixedRingAddresses.indirectGPA)
        #expect(try onlyChain(queue).error == .indirectNotNegotiated)
    }

    @Test func refusesIndirectInsideIndirect() throws {
        let (driver, queue) = try setUp(indirect: true)
        driver.setDescriptor(0, address: 0x3_0000, length: 16, flags: SplitRing.descriptorFlagIndirect,
                             table: FixedRingAddresses.indirectGPA)
        driver.setDescriptor(0, address: FixedRingAddresses.indirectGPA, length: 16, flags: SplitRing.descriptorFlagIndirect)
        driver.makeAvailable(head: 0)
        #expect(try onlyChain(queue).error == .nestedIndirect)
    }

    @Test func refusesIndirectTablesOfBadLength() throws {
        let (driver, queue) = try setUp(size: 4, indirect: true)
        driver.setDescriptor(0, address: FixedRingAddresses.indirectGPA, length: 24, flags: SplitRing.descriptorFlagIndirect)
        driver.setDescriptor(1, address: FixedRingAddresses.indirectGPA, length: 0, flags: SplitRing.descriptorFlagIndirect)
        driver.setDescriptor(2, address: FixedRingAddresses.indirectGPA, length: 5 * 16, flags: SplitRing.descriptorFlagIndirect)
        driver.setDescriptor(3, address: FixedRingAddresses.indirectGPA, length: 16,
                             flags: SplitRing.descriptorFlagIndirect | SplitRing.descriptorFlagNext, next: 0)
        for head: UInt16 in 0..<4 { driver.makeAvailable(head: head) }
        #expect(queue.popAvailable(maxChains: 32) == 4)
        #expect(queue.chains.map(\.error) == [.invalidIndirectLength, .invalidIndirectLength,
                                               .invalidIndirectLength, .indirectWithNext])
    }

    @Test func stopsDescriptorLoopAtQueueSize() throws {
        let (driver, queue) = try setUp(size: 8)
        driver.setDescriptor(0, address: 0x3_0000, length: 10, flags: SplitRing.descriptorFlagNext, next: 1)
        driver.setDescriptor(1, address: 0x3_0000, length: 10, flags: SplitRing.descriptorFlagNext, next: 0)
        driver.makeAvailable(head: 0)
        #expect(try onlyChain(queue).error == .descriptorLoop)
    }

    @Test func stopsLoopInsideIndirectTable() throws {
        let (driver, queue) = try setUp(indirect: true)
        let table = FixedRingAddresses.indirectGPA
        driver.setDescriptor(0, address: 0x3_0000, length: 10, flags: SplitRing.descriptorFlagNext, next: 1, table: table)
        driver.setDescriptor(1, address: 0x3_0000, length: 10, flags: SplitRing.descriptorFlagNext, next: 0, table: table)
        driver.setDescriptor(0, address: table, length: 32, flags: SplitRing.descriptorFlagIndirect)
        driver.makeAvailable(head: 0)
        #expect(try onlyChain(queue).error == .descriptorLoop)
    }

    @Test func refusesNextIndexOutsideTheRing() throws {
        let (driver, queue) = try setUp(size: 8)
        driver.setDescriptor(0, address: 0x3_0000, length: 10, flags: SplitRing.descriptorFlagNext, next: 8)
        driver.makeAvailable(head: 0)
        #expect(try onlyChain(queue).error == .nextOutOfRange)
    }

    @Test func refusesWritableDescriptorInTransmitChain() throws {
        let (driver, queue) = try setUp()
        driver.setDescriptor(0, address: 0x3_0000, length: 12, flags: SplitRing.descriptorFlagNext, next: 1)
        driver.setDescriptor(1, address: 0x4_0000, length: 64, flags: SplitRing.descriptorFlagWrite)
        driver.makeAvailable(head: 0)
        #expect(try onlyChain(queue).error == .writableDescriptorInTransmitChain)
    }

    @Test func refusesChainLongerThanTheTransmitLimit() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 40_000), (0x3_0000, 40_000)], writable: false)
        #expect(try onlyChain(queue).error == .chainTooLong)
    }

    @Test func refusesChainWithMoreSegmentsThanTheLimit() throws {
        let (driver, queue) = try setUp(limits: SplitQueue.Limits(maxChains: 8, maxSegmentsPerChain: 3))
        driver.addChain([(0x3_0000, 10), (0x3_1000, 10), (0x3_2000, 10), (0x3_3000, 10)], writable: false)
        #expect(try onlyChain(queue).error == .tooManySegments)
    }

    @Test func refusesBufferOutsideGuestMemory() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 10), (0x20_0000 - 8, 16)], writable: false)
        #expect(try onlyChain(queue).error == .unmappedAddress)
    }

    @Test func skipsZeroLengthDescriptors() throws {
        let (driver, queue) = try setUp()
        driver.ram.fill(0x3_0000, pattern(20, seed: 8))
        driver.addChain([(0x3_0000, 20), (0xDEAD_0000_0000, 0)], writable: false)
        let chain = try onlyChain(queue)
        #expect(chain.error == nil && chain.segmentCount == 1 && chain.length == 20)
    }

    @Test func keepsGoingAfterMalformedChainAndReturnsBothToTheGuest() throws {
        let (driver, queue) = try setUp()
        driver.setDescriptor(0, address: 0x3_0000, length: 12, flags: SplitRing.descriptorFlagWrite)
        driver.makeAvailable(head: 0)
        driver.setDescriptor(5, address: 0x3_0000, length: 60, flags: 0)
        driver.makeAvailable(head: 5)
        #expect(queue.popAvailable(maxChains: 32) == 2)
        #expect(queue.chains.map(\.error) == [.writableDescriptorInTransmitChain, nil])
        for chain in queue.chains { queue.pushUsed(head: chain.head, length: 0) }
        #expect(driver.usedIndex == 0, "nothing is visible before the publish")
        #expect(queue.publishUsed() == 2)
        #expect(driver.usedIndex == 2)
        #expect(driver.usedElement(0) == (0, 0) && driver.usedElement(1) == (5, 0))
        #expect(!queue.isBroken)
    }

    @Test func returnsAPoppedBurstInOneCallInOrderWithZeroLengthsAcrossTheUsedRingWrap() throws {
        let (driver, queue) = try setUp(size: 8)
        // Control: six chains returned one by one with a length, filling used slots 0-5.
        for i in 0..<6 { driver.addChain([(0x3_0000 + UInt64(i) * 0x100, 60)], writable: false) }
        #expect(queue.popAvailable(maxChains: 32) == 6)
        for chain in queue.chains { queue.pushUsed(head: chain.head, length: 77) }
        #expect(queue.publishUsed() == 6)
        #expect(driver.usedElement(0) == (0, 77))
        // Five more, returned with one call: used slots 6, 7, 0, 1, 2 (over the old lengths).
        for i in 0..<5 { driver.addChain([(0x3_0000 + UInt64(i) * 0x100, 60)], writable: false) }
        #expect(queue.popAvailable(maxChains: 32) == 5)
        let heads = queue.chains.map(\.head)
        #expect(heads == [6, 7, 0, 1, 2])
        queue.pushUsedTransmitted(count: 5)
        #expect(driver.usedIndex == 6, "nothing is visible before the publish")
        #expect(queue.publishUsed() == 5)
        #expect(driver.usedIndex == 11)
        for (k, head) in heads.enumerated() {
            let element = driver.usedElement(UInt16(6 + k))
            #expect(element.id == UInt32(head) && element.length == 0)
        }
        // A count beyond the popped chains returns only those.
        driver.addChain([(0x3_0000, 60)], writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 1)
        queue.pushUsedTransmitted(count: 32)
        #expect(queue.publishUsed() == 1)
        #expect(driver.usedIndex == 12 && driver.usedElement(11) == (3, 0))
    }

    @Test func popsAtMostTheBurstAndContinuesWithTheRest() throws {
        let (driver, queue) = try setUp(size: 64)
        for i in 0..<40 { driver.addChain([(0x3_0000 + UInt64(i) * 0x100, 60)], writable: false) }
        #expect(queue.popAvailable(maxChains: 32) == 32)
        #expect(queue.chains.map(\.head) == (0..<32).map { UInt16($0) })
        #expect(queue.popAvailable(maxChains: 32) == 8)
        #expect(queue.chains.first?.head == 32)
        #expect(queue.lastAvailIndex == 40)
    }

    @Test func marksQueueBrokenWhenAvailIndexRunsMoreThanARingAhead() throws {
        let (driver, queue) = try setUp(size: 8)
        driver.forceAvailIndex(9)
        #expect(queue.popAvailable(maxChains: 32) == 0)
        #expect(queue.isBroken)
        driver.forceAvailIndex(1)
        #expect(queue.popAvailable(maxChains: 32) == 0, "a broken queue stays stopped")
    }

    @Test func marksQueueBrokenOnHeadOutsideTheRing() throws {
        let (driver, queue) = try setUp(size: 8)
        driver.makeAvailable(head: 8)
        #expect(queue.popAvailable(maxChains: 32) == 0)
        #expect(queue.isBroken)
    }

    @Test func readsHeaderSplitAcrossDescriptors() throws {
        let (driver, queue) = try setUp()
        let header = VirtioNetHeader(flags: 1, gsoType: 4, headerLength: 54, gsoSize: 1448,
                                     checksumStart: 34, checksumOffset: 16, numBuffers: 0)
        header.write(to: driver.ram.driverPointer(0x6_0000), length: 12)
        driver.ram.fill(0x6_000C, pattern(50, seed: 1))
        driver.addChain([(0x6_0000, 5), (0x6_0005, 57)], writable: false)
        let chain = try onlyChain(queue)
        #expect(VirtioNetHeader(gatheringFrom: queue.segments(of: chain), length: 12) == header)
        driver.addChain([(0x6_0000, 40)], writable: false)
        let single = try onlyChain(queue)
        #expect(VirtioNetHeader(gatheringFrom: queue.segments(of: single), length: 12) == header)
        driver.addChain([(0x6_0000, 7)], writable: false)
        #expect(VirtioNetHeader(gatheringFrom: queue.segments(of: try onlyChain(queue)), length: 12) == nil)
    }
}
