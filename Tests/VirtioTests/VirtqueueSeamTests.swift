import GuestMemory
import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

/// Bytes in host memory that are not guest memory (like the uplink's ring blocks): the
/// `Virtqueue` seam must deliver them exactly as it delivers guest segments.
private struct HostBytes: ByteSegment {
    var base: UnsafeMutableRawPointer
    var length: Int
}

/// What the datapath does, through the protocol only (as the engine's generic code does).
private func deliver<Queue: Virtqueue, Segment: ByteSegment>(
    _ queue: Queue, _ segments: [Segment], prefix: [UInt8], skipping: Int, mergeable: Bool
) -> ReceiveReservation {
    prefix.withUnsafeBytes { p in
        segments.withUnsafeBufferPointer {
            queue.receiveFrame(header: VirtioNetHeader(), headerLength: 12, prefix: p.baseAddress, prefixLength: p.count,
                               from: $0, skipping: skipping, mergeable: mergeable)
        }
    }
}

@Suite struct VirtqueueSeamTests {
    /// Untagged L2 header (the private copy) and a body in two pieces, as a restored-tag uplink
    /// frame comes: the first piece starts with bytes the prefix replaces.
    static let l2: [UInt8] = [0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00]
    static let body = pattern(300, seed: 5)

    private func ring() throws -> (DriverRing, SplitQueue) {
        let driver = try FixedRingAddresses.driver(size: 16)
        return (driver, try #require(driver.makeQueue(eventIndex: false)))
    }

    @Test func framesInHostMemoryAreWrittenLikeGuestSegments() throws {
        // Host side: 14 stale bytes (replaced by the prefix), then the body split at 100.
        var host = [UInt8](repeating: 0xEE, count: 14) + Self.body
        let (viaHost, hostQueue) = try ring()
        viaHost.addChain([(0x3_0000, 2048)], writable: true)
        let hostResult = host.withUnsafeMutableBytes { raw -> ReceiveReservation in
            let base = raw.baseAddress!
            let pieces = [HostBytes(base: base, length: 114), HostBytes(base: base + 114, length: raw.count - 114)]
            return deliver(hostQueue, pieces, prefix: Self.l2, skipping: 14, mergeable: true)
        }
        // Positive control: the same frame from guest memory, through the queue's own fast paths.
        let (viaGuest, guestQueue) = try ring()
        viaGuest.ram.fill(0x8_0000, [UInt8](repeating: 0xEE, count: 14) + Self.body)
        viaGuest.addChain([(0x3_0000, 2048)], writable: true)
        let pieces = [GuestSegment(base: viaGuest.ram.driverPointer(0x8_0000), length: 114),
                      GuestSegment(base: viaGuest.ram.driverPointer(0x8_0000 + 114), length: Self.body.count - 100)]
        let guestResult = deliver(guestQueue, pieces, prefix: Self.l2, skipping: 14, mergeable: true)

        #expect(hostResult == .reserved(chains: 1))
        #expect(guestResult == hostResult)
        #expect(hostQueue.publishUsed() == 1)
        #expect(guestQueue.publishUsed() == 1)
        let length = 12 + Self.l2.count + Self.body.count
        #expect(viaHost.usedElement(0).length == UInt32(length))
        #expect(viaGuest.usedElement(0).length == UInt32(length))
        #expect(viaHost.ram.bytes(0x3_000C, length - 12) == Self.l2 + Self.body)
        #expect(viaHost.ram.bytes(0x3_0000, length) == viaGuest.ram.bytes(0x3_0000, length))
    }

    @Test func aHostFrameThatDoesNotFitConsumesNothing() throws {
        var host = [UInt8](repeating: 0xEE, count: 14) + Self.body
        let (driver, queue) = try ring()
        // Without mergeable buffers one 64-byte buffer cannot take 326 bytes.
        driver.addChain([(0x3_0000, 64)], writable: true)
        let refused = host.withUnsafeMutableBytes { raw in
            deliver(queue, [HostBytes(base: raw.baseAddress!, length: raw.count)], prefix: Self.l2, skipping: 14,
                    mergeable: false)
        }
        #expect(refused == .noRoom)
        #expect(queue.publishUsed() == 0)
        #expect(queue.lastAvailIndex == 0)
        // Positive control: a buffer that fits takes the same frame, as the next chain.
        driver.addChain([(0x4_0000, 2048)], writable: true)
        let accepted = host.withUnsafeMutableBytes { raw in
            deliver(queue, [HostBytes(base: raw.baseAddress!, length: raw.count)], prefix: Self.l2, skipping: 14,
                    mergeable: true)
        }
        #expect(accepted == .reserved(chains: 2))
        #expect(queue.publishUsed() == 2)
    }
}
