import GuestMemory
import Testing
import Virtio
import TestSupport
import VhostTestFrontEnd

/// `SplitRing.Layout` is the one check of ring geometry: sizes, each part's byte length (with
/// the EVENT_IDX tails), alignment of the front-end's addresses and of our pointers. The
/// vhost-user layer translates SET_VRING_ADDR with it and `SplitQueue.init` re-checks with it,
/// so the two can never disagree about a ring.
@Suite struct RingLayoutTests {
    private static let uva = GuestRAM.adjacentUserspaceAddresses[0]

    @Test func sizesArePowersOfTwoUpTo32768() {
        for size in [1, 2, 256, 32768] {
            #expect(SplitRing.Layout(queueSize: size, eventIndex: false) != nil, "size \(size)")
        }
        for size in [0, -1, 3, 255, 65536] {
            #expect(SplitRing.Layout(queueSize: size, eventIndex: false) == nil, "size \(size)")
        }
    }

    @Test func partLengthsFollowTheSpecAndEventIndexAddsTheTails() throws {
        let plain = try #require(SplitRing.Layout(queueSize: 256, eventIndex: false))
        let event = try #require(SplitRing.Layout(queueSize: 256, eventIndex: true))
        #expect(plain.descriptorTableBytes == 16 * 256 && event.descriptorTableBytes == 16 * 256)
        #expect(plain.availRingBytes == 4 + 2 * 256 && event.availRingBytes == 4 + 2 * 256 + 2)
        #expect(plain.usedRingBytes == 4 + 8 * 256 && event.usedRingBytes == 4 + 8 * 256 + 2)
        // The tails sit right after the entries.
        #expect(SplitRing.usedEventOffset(queueSize: 256) == plain.availRingBytes)
        #expect(SplitRing.availEventOffset(queueSize: 256) == plain.usedRingBytes)
    }

    @Test func eachPartMustBeAlignedForItself() throws {
        let layout = try #require(SplitRing.Layout(queueSize: 16, eventIndex: true))
        #expect(layout.isAligned(descriptors: 0x1000, avail: 0x2002, used: 0x3004))
        #expect(!layout.isAligned(descriptors: 0x1008, avail: 0x2002, used: 0x3004))
        #expect(!layout.isAligned(descriptors: 0x1000, avail: 0x2001, used: 0x3004))
        #expect(!layout.isAligned(descriptors: 0x1000, avail: 0x2002, used: 0x3002))
    }

    @Test func pointersNeedEveryPartInsideOneRegionTailsIncluded() throws {
        let guest = try FixedRingAddresses.guest()
        let plain = try #require(SplitRing.Layout(queueSize: 16, eventIndex: false))
        let event = try #require(SplitRing.Layout(queueSize: 16, eventIndex: true))
        // The used ring ends exactly at the end of region A: only without EVENT_IDX's tail.
        let usedAtEnd = Self.uva + UInt64(FixedRingAddresses.regionSize) - UInt64(plain.usedRingBytes)
        let fits = plain.pointers(descriptors: Self.uva + 0x1000, avail: Self.uva + 0x9000, used: usedAtEnd,
                                  userspaceIn: guest.table)
        let usedGPA = UInt64(FixedRingAddresses.regionSize) - UInt64(plain.usedRingBytes)
        #expect(fits?.descriptors == guest.table.pointer(guestPhysical: 0x1000, length: plain.descriptorTableBytes))
        #expect(fits?.avail == guest.table.pointer(guestPhysical: 0x9000, length: plain.availRingBytes))
        #expect(fits?.used == guest.table.pointer(guestPhysical: usedGPA, length: plain.usedRingBytes))
        #expect(event.pointers(descriptors: Self.uva + 0x1000, avail: Self.uva + 0x9000, used: usedAtEnd,
                               userspaceIn: guest.table) == nil)
        // Misaligned, or outside guest memory.
        #expect(event.pointers(descriptors: Self.uva + 0x1008, avail: Self.uva + 0x9000, used: Self.uva + 0xA000,
                               userspaceIn: guest.table) == nil)
        #expect(event.pointers(descriptors: Self.uva + 0x1000, avail: Self.uva + 0x9000, used: 0xA000,
                               userspaceIn: guest.table) == nil)
        #expect(event.pointers(descriptors: Self.uva + 0x1000, avail: Self.uva + 0x9000, used: Self.uva + 0xA000,
                               userspaceIn: guest.table) != nil)
    }

    @Test func splitQueueAcceptsExactlyWhatTheLayoutAccepts() throws {
        let guest = try FixedRingAddresses.guest()
        let layout = try #require(SplitRing.Layout(queueSize: 16, eventIndex: true))
        let p = try #require(layout.pointers(descriptors: Self.uva + 0x1000, avail: Self.uva + 0x9000,
                                             used: Self.uva + 0xA000, userspaceIn: guest.table))
        func queue(size: UInt16 = 16, descriptors: UnsafeMutableRawPointer = p.descriptors,
                   avail: UnsafeMutableRawPointer = p.avail, used: UnsafeMutableRawPointer = p.used) -> SplitQueue? {
            SplitQueue(size: size, descriptors: descriptors, avail: avail, used: used, memory: guest.table,
                       eventIndex: true, lastAvailIndex: 0)
        }
        #expect(queue() != nil)
        #expect(queue(size: 12) == nil)
        #expect(queue(descriptors: p.descriptors + 8) == nil)
        #expect(queue(avail: p.avail + 1) == nil)
        #expect(queue(used: p.used + 2) == nil)
        #expect(layout.isAligned(descriptors: p.descriptors + 8, avail: p.avail, used: p.used) == false)
    }
}
