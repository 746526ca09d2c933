import GuestMemory
import Testing
import Virtio
import TestSupport
import VhostTestFrontEnd

/// Every translated piece of a chain carries the guest-physical address it came from (what a
/// dirty-page log marks, docs/rx-copy.md): the descriptor's address, plus the offset into the
/// descriptor for the second piece of a buffer split where guest RAM changes region (1 MiB in
/// `GuestRAM`, `.adjacent`). Checked on every path that translates descriptors: the one-descriptor fast
/// paths (TX pop, RX reserve), the general walk, indirect tables, and mergeable reservations.
@Suite struct GuestPhysicalTests {
    private func setUp(indirect: Bool = false) throws -> (DriverRing, SplitQueue) {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false, indirect: indirect))
        return (driver, queue)
    }

    /// (guestPhysical, length) of each segment, and whether each one's `base` is our pointer to
    /// exactly that guest-physical address.
    private func pieces(_ queue: SplitQueue, _ chain: DescriptorChain, in guest: GuestRAM)
        -> (pieces: [(UInt64, Int)], consistent: Bool) {
        let segments = queue.segments(of: chain)
        let consistent = segments.allSatisfy {
            guest.table.pointer(guestPhysical: $0.guestPhysical, length: $0.length) == $0.base
        }
        return (segments.map { ($0.guestPhysical, $0.length) }, consistent)
    }

    private func same(_ a: [(UInt64, Int)], _ b: [(UInt64, Int)]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    @Test func transmitSegmentsCarryTheirDescriptorsAddresses() throws {
        let (driver, queue) = try setUp(indirect: true)
        driver.addChain([(0x3_0000, 76)], writable: false)                            // fast path
        driver.addChain([(0x13_0000, 64)], writable: false)                           // other region: walk
        driver.addChain([(0x4_0000, 12), (0x5_0000, 28), (0x6_0000, 36)], writable: false)
        driver.addChain([(0xF_FFE0, 64)], writable: false)                            // split at 1 MiB
        driver.addIndirectChain([(0x7_0000, 12), (0xF_FFF0, 100)], writable: false, table: FixedRingAddresses.indirectGPA)   // indirect, split
        #expect(queue.popAvailable(maxChains: 32) == 5)
        let chains = queue.chains
        #expect(chains.allSatisfy { $0.error == nil })
        let expected: [[(UInt64, Int)]] = [
            [(0x3_0000, 76)],
            [(0x13_0000, 64)],
            [(0x4_0000, 12), (0x5_0000, 28), (0x6_0000, 36)],
            [(0xF_FFE0, 32), (0xF_FFE0 + 32, 32)],
            [(0x7_0000, 12), (0xF_FFF0, 16), (0xF_FFF0 + 16, 84)],
        ]
        for (chain, want) in zip(chains, expected) {
            let got = pieces(queue, chain, in: driver.ram)
            #expect(same(got.pieces, want), "chain \(chain.head): \(got.pieces) instead of \(want)")
            #expect(got.consistent)
        }
    }

    @Test func receiveBuffersCarryTheirDescriptorsAddresses() throws {
        let (driver, queue) = try setUp(indirect: true)
        // One descriptor: the first reserve reads avail.idx (the general path), the second
        // takes reserve's fast path (no walk).
        driver.addChain([(0x3_0000, 2048)], writable: true)
        driver.addChain([(0x3_1000, 2048)], writable: true)
        #expect(queue.reserve(bytes: 76, mergeable: false) == .reserved(chains: 1))
        var got = pieces(queue, queue.chains[0], in: driver.ram)
        #expect(same(got.pieces, [(0x3_0000, 2048)]) && got.consistent)
        queue.commitReservation()
        let walks = queue.chainWalkCount
        #expect(queue.reserve(bytes: 76, mergeable: false) == .reserved(chains: 1))
        #expect(queue.chainWalkCount == walks)
        got = pieces(queue, queue.chains[0], in: driver.ram)
        #expect(same(got.pieces, [(0x3_1000, 2048)]) && got.consistent)
        queue.commitReservation()

        // Several descriptors, one of them split at 1 MiB: the general walk.
        driver.addChain([(0x4_0000, 10), (0xF_FF00, 0x200)], writable: true)
        #expect(queue.reserve(bytes: 76, mergeable: false) == .reserved(chains: 1))
        got = pieces(queue, queue.chains[0], in: driver.ram)
        #expect(same(got.pieces, [(0x4_0000, 10), (0xF_FF00, 0x100), (0xF_FF00 + 0x100, 0x100)]) && got.consistent)
        queue.commitReservation()

        // An indirect buffer and a second chain, merged into one reservation.
        driver.addIndirectChain([(0x5_0000, 40)], writable: true, table: FixedRingAddresses.indirectGPA)
        driver.addChain([(0x14_0000, 100)], writable: true)
        #expect(queue.reserve(bytes: 120, mergeable: true) == .reserved(chains: 2))
        let first = pieces(queue, queue.chains[0], in: driver.ram)
        let second = pieces(queue, queue.chains[1], in: driver.ram)
        #expect(same(first.pieces, [(0x5_0000, 40)]) && first.consistent)
        #expect(same(second.pieces, [(0x14_0000, 100)]) && second.consistent)
    }

    @Test func memoryTableTranslationGivesEachPieceItsOwnAddress() throws {
        let guest = try FixedRingAddresses.guest()
        var buffer = guest.segmentBuffer(count: 4)
        let count = buffer.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: 0xF_FF80, length: 0x100, into: $0)
        }
        #expect(count == 2)
        #expect(buffer[0].guestPhysical == 0xF_FF80 && buffer[0].length == 0x80)
        #expect(buffer[1].guestPhysical == 0x10_0000 && buffer[1].length == 0x80)
        // Memory that is not guest RAM says so.
        #expect(GuestSegment(base: guest.driverPointer(0), length: 1).guestPhysical == 0)
    }
}
