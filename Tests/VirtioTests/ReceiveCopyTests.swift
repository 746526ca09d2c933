import GuestMemory
import Testing
import Virtio
import TestSupport
import VhostTestFrontEnd

/// The RX copy engine (docs/rx-copy.md): the single-buffer fast path and the write cursor leave
/// the guest the same bytes and used lengths, and a fast first write can be continued through
/// the cursor (how the datapath writes a re-tagged prefix and then the rest of the frame).
@Suite struct ReceiveCopyTests {
    private static let prefix = pattern(18, seed: 40)   // an L2 header with a VLAN tag
    private static let body = pattern(100, seed: 41)    // the rest of the frame, after its 14-byte L2 header

    /// Writes header + prefix (`writeFrame(frame:)`) and then the body from a source segment
    /// (`writeReserved(from:skipping:)`) into the buffer at the head of the ring; returns the used
    /// element and the bytes it covers, read back as one stream from `buffers`.
    private func deliver(into driver: DriverRing, queue: SplitQueue, headerLength: Int,
                         buffers: [(gpa: UInt64, length: UInt32)]) -> (used: UInt32, bytes: [UInt8]) {
        driver.ram.fill(0x8_0000, [UInt8](repeating: 0xEE, count: 14) + Self.body)
        let source = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: 14 + Self.body.count)]
        let total = headerLength + Self.prefix.count + Self.body.count
        #expect(queue.reserve(bytes: total, mergeable: true) == .reserved(chains: 1))
        let header = VirtioNetHeader(flags: VirtioNetHeader.flagDataValid)
        let first = Self.prefix.withUnsafeBytes { queue.writeFrame(header: header, headerLength: headerLength, frame: $0) }
        let rest = source.withUnsafeBufferPointer { queue.writeReserved(from: $0, skipping: 14) }
        #expect(first == headerLength + Self.prefix.count && rest == Self.body.count)
        queue.commitReservation()
        queue.publishUsed()
        let used = driver.usedElement(driver.usedIndex &- 1).length
        var stream: [UInt8] = []
        for b in buffers { stream += driver.ram.bytes(b.gpa, Int(b.length)) }
        return (used, Array(stream.prefix(Int(used))))
    }

    @Test(arguments: [VirtioNetHeader.length, VirtioNetHeader.legacyLength])
    func prefixThenBodyLandsTheSameInOneDescriptorOrThree(headerLength: Int) throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        let one: [(gpa: UInt64, length: UInt32)] = [(0x3_0000, 2048)]
        // A header split 4 + rest, the prefix split across the second and third descriptor.
        let three: [(gpa: UInt64, length: UInt32)] = [(0x4_0000, 4), (0x5_0000, 20), (0x6_0000, 2000)]
        driver.addChain(one, writable: true)
        driver.addChain(three, writable: true)
        let a = deliver(into: driver, queue: queue, headerLength: headerLength, buffers: one)
        let b = deliver(into: driver, queue: queue, headerLength: headerLength, buffers: three)
        let expectedLength = headerLength + Self.prefix.count + Self.body.count
        #expect(a.used == UInt32(expectedLength) && b.used == UInt32(expectedLength))
        #expect(a.bytes == b.bytes)
        #expect(Array(a.bytes[headerLength...]) == Self.prefix + Self.body)
        let header = VirtioNetHeader(readingFrom: driver.ram.driverPointer(0x3_0000), length: headerLength)
        // num_buffers exists only in the 12-byte header.
        #expect(header == VirtioNetHeader(flags: VirtioNetHeader.flagDataValid,
                                          numBuffers: headerLength == VirtioNetHeader.length ? 1 : 0))
    }

    @Test func aFirstWriteThatFillsTheBufferLeavesTheCursorAtItsEnd() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        driver.addChain([(0x3_0000, UInt32(12 + Self.prefix.count))], writable: true)
        driver.addChain([(0x4_0000, 2048)], writable: true)   // must stay untouched
        #expect(queue.reserve(bytes: 12 + Self.prefix.count, mergeable: false) == .reserved(chains: 1))
        let first = Self.prefix.withUnsafeBytes { queue.writeFrame(header: VirtioNetHeader(), headerLength: 12, frame: $0) }
        #expect(first == 12 + Self.prefix.count)
        // Nothing more fits (positive control above: the same call wrote the whole prefix).
        let more = Self.body.withUnsafeBytes { queue.writeReserved(bytes: $0.baseAddress!, count: $0.count) }
        #expect(more == 0)
        #expect(queue.commitReservation() == 1)
        queue.publishUsed()
        #expect(driver.usedElement(0).length == UInt32(12 + Self.prefix.count))
        #expect(driver.ram.bytes(0x3_0000 + 12, Self.prefix.count) == Self.prefix)
        #expect(driver.ram.bytes(0x4_0000, 16) == [UInt8](repeating: 0, count: 16))
    }

    @Test func receiveFrameWithALegacyHeaderWritesTenBytesOfHeader() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        driver.addChain([(0x3_0000, 2048)], writable: true)
        driver.addChain([(0x4_0000, 2048)], writable: true)
        driver.ram.fill(0x8_0000, [UInt8](repeating: 0xEE, count: 14) + Self.body)
        let source = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: 14 + Self.body.count)]
        // The first frame reads avail.idx (general path), the second takes the fast path.
        for gpa: UInt64 in [0x3_0000, 0x4_0000] {
            let result = Self.prefix.withUnsafeBytes { prefix in
                source.withUnsafeBufferPointer {
                    queue.receiveFrame(header: VirtioNetHeader(), headerLength: 10, prefix: prefix.baseAddress,
                                       prefixLength: prefix.count, from: $0, skipping: 14, mergeable: true)
                }
            }
            #expect(result == .reserved(chains: 1))
            #expect(driver.ram.bytes(gpa, 10) == [UInt8](repeating: 0, count: 10))
            #expect(driver.ram.bytes(gpa + 10, Self.prefix.count + Self.body.count) == Self.prefix + Self.body)
        }
        queue.publishUsed()
        #expect(driver.usedElement(0).length == UInt32(10 + 18 + 100) && driver.usedElement(1).length == UInt32(10 + 18 + 100))
    }
}
