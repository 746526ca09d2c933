import GuestMemory
import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

/// The single-descriptor fast paths (TX pop, RX reserve, one-copy `writeFrame`) must give exactly
/// what the general walk gives, fall back whenever their one-region, one-descriptor assumption
/// fails, and refuse the same malformed descriptors.
@Suite struct FastPathTests {
    private func setUp(limits: SplitQueue.Limits = SplitQueue.Limits()) throws -> (DriverRing, SplitQueue) {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false, limits: limits))
        return (driver, queue)
    }

    // MARK: TX

    @Test func singleAndMultiDescriptorTransmitChainsGiveTheSameByteStream() throws {
        let (driver, queue) = try setUp()
        let frame = pattern(76, seed: 11)
        driver.ram.fill(0x3_0000, frame)
        driver.ram.fill(0x4_0000, Array(frame[0..<12]))
        driver.ram.fill(0x5_0000, Array(frame[12..<40]))
        driver.ram.fill(0x6_0000, Array(frame[40...]))
        let single = driver.addChain([(0x3_0000, 76)], writable: false)
        let multi = driver.addChain([(0x4_0000, 12), (0x5_0000, 28), (0x6_0000, 36)], writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 2)
        let chains = queue.chains
        #expect(chains[0].head == single && chains[1].head == multi)
        #expect(chains[0].error == nil && chains[1].error == nil)
        #expect(chains[0].length == 76 && chains[1].length == 76)
        #expect(chains[0].segmentCount == 1 && chains[1].segmentCount == 3)
        #expect(chains[0].usedLength == 0 && chains[1].usedLength == 0)
        #expect(gatherAll(queue.segments(of: chains[0])) == frame)
        #expect(gatherAll(queue.segments(of: chains[1])) == frame)
        #expect(queue.segments(of: chains[0])[0].base == driver.ram.table.pointer(guestPhysical: 0x3_0000, length: 76))
    }

    @Test func transmitChainsAlternatingBetweenRegionsAreTranslatedCorrectly() throws {
        let (driver, queue) = try setUp()
        // Region A, region B (the hint misses), A again, then one straddling both.
        let buffers: [(UInt64, UInt32)] = [(0x3_0000, 64), (0x13_0000, 64), (0x3_1000, 64), (0xF_FFE0, 64)]
        for (k, b) in buffers.enumerated() {
            driver.ram.fill(b.0, pattern(64, seed: UInt8(k)))
            driver.addChain([b], writable: false)
        }
        #expect(queue.popAvailable(maxChains: 32) == 4)
        for (k, chain) in queue.chains.enumerated() {
            #expect(chain.error == nil && chain.length == 64)
            #expect(gatherAll(queue.segments(of: chain)) == pattern(64, seed: UInt8(k)))
        }
        #expect(queue.chains.map(\.segmentCount) == [1, 1, 1, 2])
    }

    @Test func singleDescriptorTransmitChainsStillFailEveryCheck() throws {
        let (driver, queue) = try setUp(limits: SplitQueue.Limits(maxTransmitBytes: 1000))
        driver.addChain([(0x3_0000, 64)], writable: true)          // device-writable on TX
        driver.addChain([(0x20_0000, 64)], writable: false)        // outside guest RAM
        driver.addChain([(0x1F_FFF0, 64)], writable: false)        // runs past the end of RAM
        driver.addChain([(0x3_0000, 1001)], writable: false)       // over maxTransmitBytes
        driver.addChain([(UInt64.max - 7, 64)], writable: false)   // wraps 2^64
        #expect(queue.popAvailable(maxChains: 32) == 5)
        #expect(queue.chains.map(\.error) == [.writableDescriptorInTransmitChain, .unmappedAddress,
                                               .unmappedAddress, .chainTooLong, .unmappedAddress])
    }

    @Test func zeroLengthSingleDescriptorIsAnEmptyChainAsBefore() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 0)], writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 1)
        let chain = try #require(queue.chains.first)
        #expect(chain.error == nil && chain.length == 0 && chain.segmentCount == 0)
    }

    @Test func fastChainsAfterASlowChainUseTheirOwnSegmentSlots() throws {
        let (driver, queue) = try setUp(limits: SplitQueue.Limits(maxChains: 4, maxSegmentsPerChain: 3))
        driver.ram.fill(0x3_0000, pattern(30, seed: 1))
        driver.ram.fill(0x4_0000, pattern(30, seed: 2))
        driver.ram.fill(0x5_0000, pattern(30, seed: 3))
        driver.addChain([(0x3_0000, 10), (0x3_0010, 10), (0x3_0020, 10)], writable: false)
        driver.addChain([(0x4_0000, 30)], writable: false)
        driver.addChain([(0x5_0000, 30)], writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 3)
        let chains = queue.chains
        #expect(chains.map(\.firstSegment) == [0, 3, 6])
        #expect(gatherAll(queue.segments(of: chains[1])) == pattern(30, seed: 2))
        #expect(gatherAll(queue.segments(of: chains[2])) == pattern(30, seed: 3))
    }

    // MARK: RX

    /// Forwards `frame` (behind a 12-byte TX header, one piece, staged at GPA 0x8_0000) into the
    /// next RX buffer and returns the used element and the bytes the guest sees at `gpa`.
    private func receive(_ frame: [UInt8], into driver: DriverRing, queue: SplitQueue,
                         mergeable: Bool, at gpa: UInt64) -> (used: (id: UInt32, length: UInt32), bytes: [UInt8]) {
        driver.ram.fill(0x8_0000, [UInt8](repeating: 0xEE, count: 12) + frame)
        let segments = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: 12 + frame.count)]
        #expect(queue.reserve(bytes: 12 + frame.count, mergeable: mergeable) == .reserved(chains: 1))
        let written = segments.withUnsafeBufferPointer {
            queue.writeFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 12)
        }
        #expect(written == 12 + frame.count)
        queue.commitReservation()
        queue.publishUsed()
        let used = driver.usedElement(driver.usedIndex &- 1)
        return (used, driver.ram.bytes(gpa, Int(used.length)))
    }

    @Test func singleAndMultiDescriptorReceiveBuffersGetTheSameBytesAndLength() throws {
        let (driver, queue) = try setUp()
        let frame = pattern(64, seed: 21)
        let single = driver.addChain([(0x3_0000, 2048)], writable: true)
        let a = receive(frame, into: driver, queue: queue, mergeable: true, at: 0x3_0000)
        // The same frame into a buffer of three descriptors laid out back to back.
        let multi = driver.addChain([(0x4_0000, 10), (0x4_000A, 30), (0x4_0028, 2000)], writable: true)
        let b = receive(frame, into: driver, queue: queue, mergeable: true, at: 0x4_0000)
        #expect(a.used.id == UInt32(single) && b.used.id == UInt32(multi))
        #expect(a.used.length == 76 && b.used.length == 76)
        #expect(a.bytes == b.bytes)
        #expect(Array(a.bytes[12...]) == frame)
        #expect(VirtioNetHeader(readingFrom: driver.ram.driverPointer(0x3_0000), length: 12)
                == VirtioNetHeader(numBuffers: 1))
    }

    @Test func fastReceiveThatFillsTheBufferExactlyLeavesNoRoomForMore() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 76)], writable: true)
        let frame = pattern(64, seed: 5)
        let segments = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: 76)]
        driver.ram.fill(0x8_0000, [UInt8](repeating: 0, count: 12) + frame)
        #expect(queue.reserve(bytes: 76, mergeable: false) == .reserved(chains: 1))
        let written = segments.withUnsafeBufferPointer {
            queue.writeFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 12)
        }
        #expect(written == 76)
        var extra: UInt8 = 0xAB
        #expect(queue.writeReserved(bytes: &extra, count: 1) == 0)
        #expect(queue.commitReservation() == 1)
        queue.publishUsed()
        #expect(driver.usedElement(0).length == 76)
        #expect(driver.ram.bytes(0x3_000C, 64) == frame)
    }

    @Test func fastReceiveLeavesTheCursorForMoreBytesAfterTheFrame() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 200)], writable: true)
        let front = pattern(20, seed: 1)
        driver.ram.fill(0x8_0000, front)
        let segments = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: 20)]
        #expect(queue.reserve(bytes: 12 + 30, mergeable: true) == .reserved(chains: 1))
        _ = segments.withUnsafeBufferPointer {
            queue.writeFrame(header: VirtioNetHeader(flags: 2), headerLength: 12, from: $0, skipping: 0)
        }
        let tail = pattern(10, seed: 2)
        driver.ram.fill(0x8_1000, tail)
        #expect(queue.writeReserved(bytes: driver.ram.driverPointer(0x8_1000), count: 10) == 10)
        queue.commitReservation()
        queue.publishUsed()
        #expect(driver.usedElement(0).length == 42)
        #expect(driver.ram.bytes(0x3_000C, 30) == front + tail)
        #expect(VirtioNetHeader(readingFrom: driver.ram.driverPointer(0x3_0000), length: 12)
                == VirtioNetHeader(flags: 2, numBuffers: 1))
    }

    @Test func receiveBufferTooSmallForTheFrameFallsBackToTheGeneralRules() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 50)], writable: true)
        driver.addChain([(0x4_0000, 50)], writable: true)
        #expect(queue.reserve(bytes: 76, mergeable: false) == .noRoom)
        #expect(queue.reserve(bytes: 76, mergeable: true) == .reserved(chains: 2))
    }

    @Test func singleDescriptorReceiveBuffersStillFailEveryCheck() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 2048)], writable: false)       // device-readable on RX
        #expect(queue.reserve(bytes: 76, mergeable: true) == .malformed(.readableDescriptorInReceiveChain))
        driver.addChain([(0x20_0000, 2048)], writable: true)       // outside guest RAM
        #expect(queue.reserve(bytes: 76, mergeable: true) == .malformed(.unmappedAddress))
        driver.addChain([(0x1F_FFC0, 2048)], writable: true)       // runs past the end of RAM
        #expect(queue.reserve(bytes: 76, mergeable: true) == .malformed(.unmappedAddress))
        queue.publishUsed()
        #expect(driver.usedIndex == 3)
        #expect((0..<3).map { driver.usedElement($0).length } == [0, 0, 0])
        #expect(queue.lastAvailIndex == 3)
    }

    @Test func receiveBufferInTheOtherRegionOrStraddlingIsWrittenCorrectly() throws {
        let (driver, queue) = try setUp()
        let frame = pattern(64, seed: 8)
        driver.addChain([(0x3_0000, 2048)], writable: true)
        _ = receive(frame, into: driver, queue: queue, mergeable: true, at: 0x3_0000)
        driver.addChain([(0x13_0000, 2048)], writable: true)
        let b = receive(frame, into: driver, queue: queue, mergeable: true, at: 0x13_0000)
        driver.addChain([(0xF_FFF0, 2048)], writable: true)
        let c = receive(frame, into: driver, queue: queue, mergeable: true, at: 0xF_FFF0)
        #expect(Array(b.bytes[12...]) == frame && Array(c.bytes[12...]) == frame)
        #expect(b.used.length == 76 && c.used.length == 76)
    }

    @Test func writeFrameWithoutAReservationWritesNothing() throws {
        let (driver, queue) = try setUp()
        driver.addChain([(0x3_0000, 2048)], writable: true)
        let segments = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: 76)]
        let written = segments.withUnsafeBufferPointer {
            queue.writeFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 12)
        }
        #expect(written == 0)
        #expect(queue.commitReservation() == 0)
    }

    // MARK: header

    @Test func headerWriteAndReadRoundTripInBothLengths() throws {
        let guest = try FixedRingAddresses.guest()
        let header = VirtioNetHeader(flags: 1, gsoType: 4, headerLength: 0x1234, gsoSize: 0x5678,
                                     checksumStart: 0x9ABC, checksumOffset: 0xDEF0, numBuffers: 0x0102)
        let p = guest.driverPointer(0x3_0001)   // unaligned on purpose
        guest.fill(0x3_0001, [UInt8](repeating: 0xFF, count: 16))
        header.write(to: p, length: 12)
        #expect(guest.bytes(0x3_0001, 13) == [1, 4, 0x34, 0x12, 0x78, 0x56, 0xBC, 0x9A, 0xF0, 0xDE, 0x02, 0x01, 0xFF])
        #expect(VirtioNetHeader(readingFrom: p, length: 12) == header)
        guest.fill(0x3_0001, [UInt8](repeating: 0xFF, count: 16))
        header.write(to: p, length: 10)
        #expect(guest.bytes(0x3_0001, 12) == [1, 4, 0x34, 0x12, 0x78, 0x56, 0xBC, 0x9A, 0xF0, 0xDE, 0xFF, 0xFF])
        var legacy = header
        legacy.numBuffers = 0
        #expect(VirtioNetHeader(readingFrom: p, length: 10) == legacy)
    }
}
