import GuestMemory
import Testing
import VhostTestFrontEnd
import TestSupport

@Suite struct TranslationTests {
    @Test func translatesGuestPhysicalAddressToTheSameBytesTheDriverSees() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        guest.fill(0x2345, pattern(64, seed: 1))
        guest.fill(0x10_0100, pattern(64, seed: 2))
        let a = try #require(guest.table.pointer(guestPhysical: 0x2345, length: 64))
        let b = try #require(guest.table.pointer(guestPhysical: 0x10_0100, length: 64))
        #expect((0..<64).map { a.load(fromByteOffset: $0, as: UInt8.self) } == pattern(64, seed: 1))
        #expect((0..<64).map { b.load(fromByteOffset: $0, as: UInt8.self) } == pattern(64, seed: 2))
    }

    @Test func acceptsRangeEndingExactlyAtRegionEndButNotOneBytePast() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        #expect(guest.table.pointer(guestPhysical: 0xF_FF00, length: 0x100) != nil)
        #expect(guest.table.pointer(guestPhysical: 0xF_FF00, length: 0x101) == nil)
        #expect(guest.table.pointer(guestPhysical: 0x1F_FFFF, length: 1) != nil)
        #expect(guest.table.pointer(guestPhysical: 0x1F_FFFF, length: 2) == nil)
    }

    @Test func refusesUnknownAddressesInBothSpaces() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        #expect(guest.table.pointer(guestPhysical: 0x20_0000, length: 1) == nil)
        #expect(guest.table.pointer(guestPhysical: 0xDEAD_0000_0000, length: 1) == nil)
        #expect(guest.table.pointer(userspace: 0x1000, length: 1) == nil)
        #expect(guest.table.pointer(userspace: guest.descriptors[0].userspaceAddress - 1, length: 1) == nil)
        var segments = guest.segmentBuffer(count: 4)
        let n = segments.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: 0x1F_FF00, length: 0x200, into: $0)
        }
        #expect(n == nil)
    }

    @Test func refusesLengthsThatWrapOrAreNegative() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        #expect(guest.table.pointer(guestPhysical: 0x1000, length: -1) == nil)
        #expect(guest.table.pointer(guestPhysical: 0x1000, length: Int.max) == nil)
        #expect(guest.table.pointer(guestPhysical: UInt64.max - 3, length: 16) == nil)
        var segments = guest.segmentBuffer(count: 4)
        let wrapped = segments.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: UInt64.max - 3, length: 16, into: $0)
        }
        #expect(wrapped == nil)
        let negative = segments.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: 0x1000, length: -5, into: $0)
        }
        #expect(negative == nil)
    }

    @Test func splitsBufferStraddlingTwoRegionsIntoTwoSegmentsWithTheRightBytes() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        let data = pattern(0x200, seed: 9)
        guest.fill(0xF_FF00, data)
        #expect(guest.table.pointer(guestPhysical: 0xF_FF00, length: 0x200) == nil)
        var segments = guest.segmentBuffer(count: 4)
        let n = segments.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: 0xF_FF00, length: 0x200, into: $0)
        }
        #expect(n == 2)
        #expect(segments[0].length == 0x100 && segments[1].length == 0x100)
        let joined = segments.withUnsafeBufferPointer { gatherAll(UnsafeBufferPointer(rebasing: $0[0..<2])) }
        #expect(joined == data)
    }

    @Test func refusesStraddlingBufferThatNeedsMoreSegmentsThanTheCallerGave() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        var one = guest.segmentBuffer(count: 1)
        let n = one.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: 0xF_FF00, length: 0x200, into: $0)
        }
        #expect(n == nil)
        let inside = one.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: 0x100, length: 0x200, into: $0)
        }
        #expect(inside == 1)
    }

    @Test func translatesRingAddressesByUserspaceAddress() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        let byUVA = guest.table.pointer(userspace: guest.descriptors[1].userspaceAddress + 0x40, length: 8)
        let byGPA = guest.table.pointer(guestPhysical: guest.descriptors[1].guestPhysicalAddress + 0x40, length: 8)
        #expect(byUVA != nil && byUVA == byGPA)
        #expect(guest.table.pointer(userspace: guest.descriptors[0].userspaceAddress + 0xF_FFF0, length: 0x20) == nil)
    }

    @Test func perCallerHintGivesTheSameAnswersAsTheSharedCache() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        var hint = 57
        for gpa: UInt64 in [0x10, 0x10_0010, 0x20, 0x1F_0000, 0x30_0000] {
            #expect(guest.table.pointer(guestPhysical: gpa, length: 4, hint: &hint)
                    == guest.table.pointer(guestPhysical: gpa, length: 4))
        }
    }

    @Test func gathersBytesAcrossSegmentsFromAnOffset() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        let data = pattern(0x200, seed: 3)
        guest.fill(0xF_FF00, data)
        var segments = guest.segmentBuffer(count: 2)
        _ = segments.withUnsafeMutableBufferPointer {
            guest.table.segments(guestPhysical: 0xF_FF00, length: 0x200, into: $0)
        }
        var out = [UInt8](repeating: 0, count: 32)
        let copied = segments.withUnsafeBufferPointer { segs in
            out.withUnsafeMutableBytes { raw -> Int in
                guard let dst = raw.baseAddress else { return 0 }
                return segs.gather(offset: 0xF0, count: 32, into: dst)
            }
        }
        #expect(copied == 32)
        #expect(out == Array(data[0xF0..<0x110]))
    }
}
