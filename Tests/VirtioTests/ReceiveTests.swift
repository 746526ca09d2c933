import GuestMemory
import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

@Suite struct ReceiveTests {
    @Test func mergeableFrameFillsThreeBuffersCompletelyWithNumBuffersThree() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        let heads = [0x3_0000, 0x4_0000, 0x5_0000].map { driver.addChain([(UInt64($0), 100)], writable: true) }
        driver.addChain([(0x6_0000, 100)], writable: true)   // must stay untouched
        let frame = pattern(250, seed: 3)
        #expect(queue.reserve(bytes: 12 + frame.count, mergeable: true) == .reserved(chains: 3))
        let header = VirtioNetHeader(flags: VirtioNetHeader.flagDataValid)
        let written = frame.withUnsafeBytes { queue.writeFrame(header: header, headerLength: 12, frame: $0) }
        #expect(written == 262)
        #expect(driver.usedIndex == 0)
        #expect(queue.commitReservation() == 3)
        #expect(queue.publishUsed() == 3)
        #expect(driver.usedIndex == 3)
        #expect((0..<3).map { driver.usedElement($0).id } == heads.map { UInt32($0) })
        #expect((0..<3).map { driver.usedElement($0).length } == [100, 100, 62])
        let stream = driver.ram.bytes(0x3_0000, 100) + driver.ram.bytes(0x4_0000, 100) + driver.ram.bytes(0x5_0000, 62)
        let written12 = VirtioNetHeader(readingFrom: driver.ram.driverPointer(0x3_0000), length: 12)
        #expect(written12 == VirtioNetHeader(flags: VirtioNetHeader.flagDataValid, numBuffers: 3))
        #expect(Array(stream[12...]) == frame)
        #expect(driver.ram.bytes(0x5_0000 + 62, 38) == [UInt8](repeating: 0, count: 38))
        #expect(driver.ram.bytes(0x6_0000, 100) == [UInt8](repeating: 0, count: 100))
        #expect(queue.lastAvailIndex == 3)
    }

    @Test func mergeableFrameWithoutEnoughBuffersConsumesAndWritesNothing() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        driver.addChain([(0x3_0000, 100)], writable: true)
        driver.addChain([(0x4_0000, 100)], writable: true)
        #expect(queue.reserve(bytes: 12 + 250, mergeable: true) == .noRoom)
        #expect(queue.lastAvailIndex == 0)
        #expect(queue.commitReservation() == 0)
        queue.publishUsed()
        #expect(driver.usedIndex == 0)
        #expect(driver.ram.bytes(0x3_0000, 100) == [UInt8](repeating: 0, count: 100))
        // The next, smaller frame still gets the first buffer.
        #expect(queue.reserve(bytes: 12 + 60, mergeable: true) == .reserved(chains: 1))
    }

    @Test func nonMergeableBufferTooSmallIsNoRoomWithNothingConsumed() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        driver.addChain([(0x3_0000, 100)], writable: true)
        driver.addChain([(0x4_0000, 2000)], writable: true)
        #expect(queue.reserve(bytes: 12 + 200, mergeable: false) == .noRoom)
        #expect(queue.lastAvailIndex == 0 && driver.usedIndex == 0)
        #expect(queue.reserve(bytes: 12 + 60, mergeable: false) == .reserved(chains: 1))
    }

    @Test func nonMergeableFrameUsesOneMultiDescriptorChain() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        // Header alone in a short first descriptor, as legacy drivers lay it out.
        let head = driver.addChain([(0x3_0000, 10), (0x4_0000, 1514)], writable: true)
        let frame = pattern(300, seed: 9)
        #expect(queue.reserve(bytes: 10 + frame.count, mergeable: false) == .reserved(chains: 1))
        _ = frame.withUnsafeBytes { queue.writeFrame(header: VirtioNetHeader(), headerLength: 10, frame: $0) }
        queue.commitReservation()
        queue.publishUsed()
        #expect(driver.usedElement(0) == (UInt32(head), 310))
        #expect(driver.ram.bytes(0x3_0000, 10) == [UInt8](repeating: 0, count: 10))
        #expect(driver.ram.bytes(0x4_0000, 300) == frame)
    }

    @Test func headerSplitAcrossDescriptorsIsWrittenByteByByte() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        driver.addChain([(0x3_0000, 5), (0xF_FFF8, 200)], writable: true)   // 2nd straddles regions
        let frame = pattern(100, seed: 2)
        #expect(queue.reserve(bytes: 112, mergeable: true) == .reserved(chains: 1))
        let header = VirtioNetHeader(flags: 1, gsoType: 1, headerLength: 54, gsoSize: 1448,
                                     checksumStart: 34, checksumOffset: 16)
        _ = frame.withUnsafeBytes { queue.writeFrame(header: header, headerLength: 12, frame: $0) }
        queue.commitReservation()
        queue.publishUsed()
        #expect(driver.usedElement(0).length == 112)
        let stream = driver.ram.bytes(0x3_0000, 5) + driver.ram.bytes(0xF_FFF8, 107)
        var expected = header
        expected.numBuffers = 1
        let got = stream.withUnsafeBytes { raw in
            raw.baseAddress.map { VirtioNetHeader(readingFrom: $0, length: 12) }
        }
        #expect(got == expected)
        #expect(Array(stream[12...]) == frame)
    }

    @Test func copiesGuestToGuestFromTransmitSegmentsSkippingTheSourceHeader() throws {
        let guest = try FixedRingAddresses.guest()
        let tx = try FixedRingAddresses.driver(on: guest, size: 16)
        let txQueue = try #require(tx.makeQueue(eventIndex: true))
        let frame = pattern(400, seed: 6)
        guest.fill(0x7_0000, [UInt8](repeating: 0xEE, count: 12) + frame)
        tx.addChain([(0x7_0000, 100), (0x7_0064, 312)], writable: false)
        #expect(txQueue.popAvailable(maxChains: 32) == 1)
        let chain = try #require(txQueue.chains.first)

        // A second queue over other ring memory plays the RX side of another port.
        let rxDriverMemory = try FixedRingAddresses.guest()
        let rx = try FixedRingAddresses.driver(on: rxDriverMemory, size: 16)
        let rxQueue = try #require(rx.makeQueue(eventIndex: true))
        rx.addChain([(0x3_0000, 256)], writable: true)
        rx.addChain([(0x4_0000, 256)], writable: true)
        #expect(rxQueue.reserve(bytes: 12 + chain.length - 12, mergeable: true) == .reserved(chains: 2))
        let n = rxQueue.writeFrame(header: VirtioNetHeader(), headerLength: 12,
                                   from: txQueue.segments(of: chain), skipping: 12)
        #expect(n == 412)
        rxQueue.commitReservation()
        rxQueue.publishUsed()
        let stream = rxDriverMemory.bytes(0x3_0000, 256) + rxDriverMemory.bytes(0x4_0000, 156)
        #expect(Array(stream[12...]) == frame)
        #expect(rx.usedElement(1).length == 156)
    }

    @Test func malformedReceiveChainIsReturnedEmptyAndTheRingMovesOn() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        let good = driver.addChain([(0x3_0000, 100)], writable: true)
        let bad = driver.addChain([(0x4_0000, 100)], writable: false)
        driver.addChain([(0x5_0000, 1000)], writable: true)
        #expect(queue.reserve(bytes: 12 + 150, mergeable: true) == .malformed(.readableDescriptorInReceiveChain))
        #expect(queue.lastAvailIndex == 2)
        queue.publishUsed()
        #expect(driver.usedElement(0) == (UInt32(good), 0) && driver.usedElement(1) == (UInt32(bad), 0))
        #expect(queue.reserve(bytes: 12 + 150, mergeable: true) == .reserved(chains: 1))
    }

    @Test func frameNeedingMoreBuffersThanTheLimitIsTooLargeWithNothingConsumed() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true, limits: SplitQueue.Limits(maxChains: 2)))
        for i in 0..<3 { driver.addChain([(0x3_0000 + UInt64(i) * 0x1000, 100)], writable: true) }
        #expect(queue.reserve(bytes: 250, mergeable: true) == .tooLarge)
        #expect(queue.lastAvailIndex == 0)
    }

    @Test func cancelledReservationLeavesTheRingAsItWas() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        driver.addChain([(0x3_0000, 100)], writable: true)
        #expect(queue.reserve(bytes: 50, mergeable: true) == .reserved(chains: 1))
        queue.cancelReservation()
        #expect(queue.commitReservation() == 0)
        #expect(queue.lastAvailIndex == 0)
        #expect(queue.reserve(bytes: 50, mergeable: true) == .reserved(chains: 1))
    }
}
