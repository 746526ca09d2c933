import GuestMemory
import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

/// `receiveFrame` must leave the guest exactly what reserve + writeFrame + commitReservation leave,
/// on its one-descriptor fast path and on the general path, and refuse the same buffers.
@Suite struct ReceiveFrameTests {
    private func setUp(eventIndex: Bool = false) throws -> (DriverRing, SplitQueue) {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: eventIndex))
        return (driver, queue)
    }

    /// `frame` behind a 12-byte TX header, staged in guest memory at 0x8_0000 in `pieces` pieces.
    private func stage(_ frame: [UInt8], in driver: DriverRing, pieces: Int = 1) -> [GuestSegment] {
        driver.ram.fill(0x8_0000, [UInt8](repeating: 0xEE, count: 12) + frame)
        let total = 12 + frame.count
        let cut = pieces == 1 ? total : 20
        var segments = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: cut)]
        if pieces > 1 { segments.append(GuestSegment(base: driver.ram.driverPointer(0x8_0000 + UInt64(cut)), length: total - cut)) }
        return segments
    }

    private func receive(_ queue: SplitQueue, _ segments: [GuestSegment], mergeable: Bool = true) -> ReceiveReservation {
        segments.withUnsafeBufferPointer {
            queue.receiveFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 12, mergeable: mergeable)
        }
    }

    @Test func oneDescriptorAndThreeDescriptorBuffersReceiveTheSameBytes() throws {
        let (driver, queue) = try setUp()
        let frame = pattern(64, seed: 3)
        let segments = stage(frame, in: driver)
        let single = driver.addChain([(0x3_0000, 2048)], writable: true)
        let multi = driver.addChain([(0x4_0000, 10), (0x4_000A, 30), (0x4_0028, 2000)], writable: true)
        #expect(receive(queue, segments) == .reserved(chains: 1))
        #expect(receive(queue, segments) == .reserved(chains: 1))
        #expect(driver.usedIndex == 0)
        #expect(queue.publishUsed() == 2)
        #expect(driver.usedElement(0) == (UInt32(single), 76) && driver.usedElement(1) == (UInt32(multi), 76))
        #expect(driver.ram.bytes(0x3_0000, 76) == driver.ram.bytes(0x4_0000, 76))
        #expect(driver.ram.bytes(0x3_000C, 64) == frame)
        #expect(VirtioNetHeader(readingFrom: driver.ram.driverPointer(0x3_0000), length: 12) == VirtioNetHeader(numBuffers: 1))
        #expect(queue.lastAvailIndex == 2)
    }

    @Test func frameInTwoPiecesIsReceivedWhole() throws {
        let (driver, queue) = try setUp()
        let frame = pattern(100, seed: 4)
        driver.addChain([(0x3_0000, 2048)], writable: true)
        #expect(receive(queue, stage(frame, in: driver, pieces: 2)) == .reserved(chains: 1))
        queue.publishUsed()
        #expect(driver.usedElement(0).length == 112)
        #expect(driver.ram.bytes(0x3_000C, 100) == frame)
    }

    @Test func mergeableFrameLargerThanOneBufferTakesTwoAndSaysSo() throws {
        let (driver, queue) = try setUp()
        let frame = pattern(150, seed: 5)
        driver.addChain([(0x3_0000, 100)], writable: true)
        driver.addChain([(0x4_0000, 100)], writable: true)
        #expect(receive(queue, stage(frame, in: driver)) == .reserved(chains: 2))
        #expect(queue.publishUsed() == 2)
        #expect([driver.usedElement(0).length, driver.usedElement(1).length] == [100, 62])
        #expect(driver.ram.bytes(0x3_000C, 88) + driver.ram.bytes(0x4_0000, 62) == frame)
        #expect(VirtioNetHeader(readingFrom: driver.ram.driverPointer(0x3_0000), length: 12) == VirtioNetHeader(numBuffers: 2))
    }

    @Test func noBufferOrTooSmallABufferConsumesAndWritesNothing() throws {
        let (driver, queue) = try setUp()
        let segments = stage(pattern(150, seed: 6), in: driver)
        #expect(receive(queue, segments) == .noRoom)
        driver.addChain([(0x3_0000, 100)], writable: true)
        #expect(receive(queue, segments, mergeable: false) == .noRoom)
        #expect(queue.lastAvailIndex == 0 && queue.publishUsed() == 0)
        #expect(driver.ram.bytes(0x3_0000, 100) == [UInt8](repeating: 0, count: 100))
    }

    @Test func malformedBuffersAreReturnedEmptyAndReported() throws {
        let (driver, queue) = try setUp()
        let segments = stage(pattern(64, seed: 7), in: driver)
        driver.addChain([(0x3_0000, 2048)], writable: false)
        #expect(receive(queue, segments) == .malformed(.readableDescriptorInReceiveChain))
        driver.addChain([(0x1F_FFC0, 2048)], writable: true)
        #expect(receive(queue, segments) == .malformed(.unmappedAddress))
        #expect(queue.publishUsed() == 2)
        #expect(driver.usedElement(0).length == 0 && driver.usedElement(1).length == 0)
    }

    @Test func cancelsAnOpenReservation() throws {
        let (driver, queue) = try setUp()
        let frame = pattern(64, seed: 8)
        driver.addChain([(0x3_0000, 2048)], writable: true)
        driver.addChain([(0x4_0000, 2048)], writable: true)
        #expect(queue.reserve(bytes: 76, mergeable: true) == .reserved(chains: 1))
        #expect(receive(queue, stage(frame, in: driver)) == .reserved(chains: 1))
        #expect(queue.commitReservation() == 0)
        #expect(queue.publishUsed() == 1)
        #expect(queue.lastAvailIndex == 1)
        #expect(driver.ram.bytes(0x3_000C, 64) == frame)
    }

    @Test func movesAvailEventWithEventIndex() throws {
        let (driver, queue) = try setUp(eventIndex: true)
        driver.addChain([(0x3_0000, 2048)], writable: true)
        driver.addChain([(0x4_0000, 2048)], writable: true)
        let segments = stage(pattern(64, seed: 9), in: driver)
        #expect(receive(queue, segments) == .reserved(chains: 1))
        #expect(driver.availEvent == 1)
        #expect(receive(queue, segments) == .reserved(chains: 1))
        #expect(driver.availEvent == 2)
    }
}
