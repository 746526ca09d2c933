import GuestMemory
import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

/// `receiveFrame(prefix:)`: the datapath's private copy of a frame's L2 header goes out, not
/// what the sender's buffer says by the time it is copied (docs/vlan-safety.md, "Time of check,
/// time of use"). Parse time is simulated: copy the header, then rewrite the source, then deliver.
@Suite struct PrefixedReceiveTests {
    /// Untagged, dst 52:54:00:00:00:02, EtherType IPv4.
    static let frame: [UInt8] = [0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00] + pattern(86, seed: 11)
    /// What a second vCPU writes after the switch parsed the header: another destination, and a
    /// VLAN 20 tag where the EtherType was.
    static let rewrite: [UInt8] = [0x52, 0x54, 0, 0, 0, 9, 0x52, 0x54, 0, 0, 0, 1, 0x81, 0x00]

    private func setUp() throws -> (DriverRing, SplitQueue) {
        let driver = try FixedRingAddresses.driver(size: 16)
        return (driver, try #require(driver.makeQueue(eventIndex: false)))
    }

    /// Stages the frame behind a 12-byte TX header at 0x8_0000, in one or two pieces (the second
    /// starting inside the L2 header), copies its first 14 bytes as the parser would, then lets
    /// the "guest" rewrite them, and delivers with the copy as prefix.
    /// With `warmUp`, one plain frame goes first into a buffer at 0x6_0000: the one-descriptor
    /// fast path only takes a buffer whose avail entry it has already seen.
    private func deliverAfterRewrite(pieces: Int, buffers: [(UInt64, UInt32)],
                                     warmUp: Bool = false) throws -> (DriverRing, ReceiveReservation) {
        let (driver, queue) = try setUp()
        if warmUp {
            driver.ram.fill(0x7_0000, [UInt8](repeating: 0, count: 12) + Self.frame)
            driver.addChain([(0x6_0000, 2048)], writable: true)
            // Posted before the warm-up reads avail.idx, so the fast path sees it as available.
            driver.addChain(buffers, writable: true)
            let plain = [GuestSegment(base: driver.ram.driverPointer(0x7_0000), length: 12 + Self.frame.count)]
            let first = plain.withUnsafeBufferPointer {
                queue.receiveFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 12, mergeable: true)
            }
            #expect(first == .reserved(chains: 1))
        }
        driver.ram.fill(0x8_0000, [UInt8](repeating: 0xEE, count: 12) + Self.frame)
        let total = 12 + Self.frame.count
        let cut = pieces == 1 ? total : 20
        var segments = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: cut)]
        if pieces > 1 {
            segments.append(GuestSegment(base: driver.ram.driverPointer(0x8_0000 + UInt64(cut)), length: total - cut))
        }
        let parsed = driver.ram.bytes(0x8_000C, 14)
        driver.ram.fill(0x8_000C, Self.rewrite)
        if !warmUp { driver.addChain(buffers, writable: true) }
        let result = parsed.withUnsafeBytes { copy in
            segments.withUnsafeBufferPointer {
                queue.receiveFrame(header: VirtioNetHeader(), headerLength: 12, prefix: copy.baseAddress, prefixLength: 14,
                                   from: $0, skipping: 12 + 14, mergeable: true)
            }
        }
        #expect(queue.publishUsed() == (warmUp ? 2 : 1))
        return (driver, result)
    }

    @Test func theOneDescriptorFastPathWritesTheParsedHeaderNotTheRewrittenOne() throws {
        let (driver, result) = try deliverAfterRewrite(pieces: 1, buffers: [(0x3_0000, 2048)], warmUp: true)
        #expect(result == .reserved(chains: 1))
        #expect(driver.usedElement(1).length == UInt32(12 + Self.frame.count))
        #expect(driver.ram.bytes(0x3_000C, Self.frame.count) == Self.frame)
    }

    @Test func theGeneralPathWritesTheParsedHeaderNotTheRewrittenOne() throws {
        // A split source and a three-descriptor buffer whose first piece ends inside the header.
        let (driver, result) = try deliverAfterRewrite(pieces: 2, buffers: [(0x4_0000, 10), (0x4_000A, 8), (0x4_0012, 2000)])
        #expect(result == .reserved(chains: 1))
        #expect(driver.usedElement(0).length == UInt32(12 + Self.frame.count))
        let out = driver.ram.bytes(0x4_0000, 12 + Self.frame.count)
        #expect(Array(out[12...]) == Self.frame)
        #expect(VirtioNetHeader(readingFrom: driver.ram.driverPointer(0x4_0000), length: 12) == VirtioNetHeader(numBuffers: 1))
    }

    @Test func theSourceRewriteIsReallyThere() throws {
        // Control for the two tests above: without the prefix the rewrite does go out.
        let (driver, queue) = try setUp()
        driver.ram.fill(0x8_0000, [UInt8](repeating: 0xEE, count: 12) + Self.frame)
        driver.ram.fill(0x8_000C, Self.rewrite)
        driver.addChain([(0x3_0000, 2048)], writable: true)
        let segments = [GuestSegment(base: driver.ram.driverPointer(0x8_0000), length: 12 + Self.frame.count)]
        let result = segments.withUnsafeBufferPointer {
            queue.receiveFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 12, mergeable: true)
        }
        #expect(result == .reserved(chains: 1))
        #expect(driver.ram.bytes(0x3_000C, 14) == Self.rewrite)
    }
}
