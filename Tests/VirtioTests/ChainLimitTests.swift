import GuestMemory
import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

/// docs/limits.md: every descriptor counts against `maxDescriptorsPerChain`, and an RX ring that
/// had no room is not walked again until the driver adds buffers.
@Suite struct ChainLimitTests {
    private func setUp(size: UInt16 = 256, indirect: Bool = false,
                       limits: SplitQueue.Limits = SplitQueue.Limits()) throws -> (DriverRing, SplitQueue) {
        let driver = try FixedRingAddresses.driver(size: size)
        let queue = try #require(driver.makeQueue(eventIndex: true, indirect: indirect, limits: limits))
        return (driver, queue)
    }

    /// `count` zero-length descriptors then one 64-byte frame, chained in ring slots from 0.
    private func emptyDescriptorChain(_ driver: DriverRing, count: Int, writable: Bool = false) -> [(gpa: UInt64, length: UInt32)] {
        Array(repeating: (gpa: UInt64(0x3_0000), length: UInt32(0)), count: count) + [(gpa: 0x3_0000, length: 64)]
    }

    @Test func zeroLengthDescriptorsCountAgainstTheChainLimit() throws {
        let (driver, queue) = try setUp(limits: SplitQueue.Limits(maxDescriptorsPerChain: 8))
        // Positive control: 7 descriptors (6 empty + 1 frame) fit a limit of 8 ...
        driver.addChain(emptyDescriptorChain(driver, count: 6), writable: false)
        // ... and 200 do not, though they hold the same 64 bytes.
        driver.addChain(emptyDescriptorChain(driver, count: 199), writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 2)
        #expect(queue.chains[0].error == nil && queue.chains[0].length == 64)
        #expect(queue.chains[1].error == .tooManyDescriptors)
    }

    @Test func exactlyTheLimitIsAccepted() throws {
        let (driver, queue) = try setUp(limits: SplitQueue.Limits(maxDescriptorsPerChain: 8))
        driver.addChain(emptyDescriptorChain(driver, count: 7), writable: false)
        driver.addChain(emptyDescriptorChain(driver, count: 8), writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 2)
        #expect(queue.chains[0].error == nil)
        #expect(queue.chains[1].error == .tooManyDescriptors)
    }

    @Test func theIndirectDescriptorAndEveryTableEntryCount() throws {
        let (driver, queue) = try setUp(indirect: true, limits: SplitQueue.Limits(maxDescriptorsPerChain: 8))
        // 1 INDIRECT + 7 entries = 8: accepted. 1 + 8 = 9: refused before the table is copied.
        driver.addIndirectChain(emptyDescriptorChain(driver, count: 6), writable: false, table: 0x2_0000)
        driver.addIndirectChain(emptyDescriptorChain(driver, count: 7), writable: false, table: 0x2_1000)
        #expect(queue.popAvailable(maxChains: 32) == 2)
        #expect(queue.chains[0].error == nil && queue.chains[0].length == 64)
        #expect(queue.chains[1].error == .tooManyDescriptors)
    }

    @Test func theDefaultLimitTakesALinuxFrameWithEveryFragment() throws {
        // MAX_SKB_FRAGS = 45 (the largest CONFIG_MAX_SKB_FRAGS) + 2 entries, behind one INDIRECT.
        let (driver, queue) = try setUp(indirect: true)
        let entries = (0..<47).map { (gpa: UInt64(0x3_0000 + $0 * 64), length: UInt32(64)) }
        driver.addIndirectChain(entries, writable: false, table: FixedRingAddresses.indirectGPA)
        driver.addChain(emptyDescriptorChain(driver, count: 64), writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 2)
        #expect(queue.chains[0].error == nil && queue.chains[0].length == 47 * 64)
        #expect(queue.chains[1].error == .tooManyDescriptors)
    }

    @Test func anRXChainOverTheLimitIsReturnedAsMalformed() throws {
        let (driver, queue) = try setUp(limits: SplitQueue.Limits(maxDescriptorsPerChain: 4))
        driver.addChain(emptyDescriptorChain(driver, count: 10), writable: true)
        driver.addChain([(0x4_0000, 2048)], writable: true)
        #expect(queue.reserve(bytes: 12 + 60, mergeable: true) == .malformed(.tooManyDescriptors))
        // The refused chain went back; the next frame gets the good buffer.
        #expect(queue.reserve(bytes: 12 + 60, mergeable: true) == .reserved(chains: 1))
    }

    @Test func aMergeableRingWithoutRoomIsWalkedOnceUntilTheDriverAddsBuffers() throws {
        let (driver, queue) = try setUp(size: 64)
        // 40 two-descriptor buffers of 100 bytes: 4000 bytes, not enough for a 64 KiB frame, and
        // not the one-descriptor fast path, so every look is a walk.
        for k in 0..<40 {
            driver.addChain([(UInt64(0x3_0000 + k * 128), 50), (UInt64(0x3_0000 + k * 128 + 64), 50)], writable: true)
        }
        let big = 12 + 65_000
        #expect(queue.reserve(bytes: big, mergeable: true) == .noRoom)
        let walksForOneLook = queue.chainWalkCount
        #expect(walksForOneLook == 40)
        for _ in 0..<31 { #expect(queue.reserve(bytes: big, mergeable: true) == .noRoom) }
        #expect(queue.chainWalkCount == walksForOneLook, "the rest of the burst costs no walk")

        // Positive control: a frame that fits what was found is still walked and delivered.
        #expect(queue.reserve(bytes: 12 + 150, mergeable: true) == .reserved(chains: 2))
        queue.cancelReservation()
        #expect(queue.chainWalkCount == walksForOneLook + 2)

        // The driver adds buffers: avail.idx moves, the memo no longer holds, the ring is walked.
        driver.addChain([(0x6_0000, 100)], writable: true)
        let before = queue.chainWalkCount
        #expect(queue.reserve(bytes: big, mergeable: true) == .noRoom)
        #expect(queue.chainWalkCount == before + 41)
    }

    @Test func aNonMergeableBufferTooSmallIsRememberedToo() throws {
        let (driver, queue) = try setUp(size: 16)
        driver.addChain([(0x3_0000, 50), (0x3_1000, 50)], writable: true)
        #expect(queue.reserve(bytes: 12 + 200, mergeable: false) == .noRoom)
        #expect(queue.reserve(bytes: 12 + 200, mergeable: false) == .noRoom)
        #expect(queue.chainWalkCount == 1)
        #expect(queue.reserve(bytes: 12 + 60, mergeable: false) == .reserved(chains: 1))
    }
}

extension ChainLimitTests {
    @Test func aNoRoomWithoutMergingDoesNotRefuseAMergeableFrame() throws {
        let (driver, queue) = try setUp(size: 16)
        driver.addChain([(0x3_0000, 50)], writable: true)
        driver.addChain([(0x4_0000, 50)], writable: true)
        #expect(queue.reserve(bytes: 76, mergeable: false) == .noRoom)
        #expect(queue.reserve(bytes: 76, mergeable: true) == .reserved(chains: 2))
    }
}
