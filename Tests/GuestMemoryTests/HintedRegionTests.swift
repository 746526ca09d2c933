import GuestMemory
import Testing
import VhostTestFrontEnd
import TestSupport

/// `pointer(guestPhysical:length:inHintedRegion:)` answers only for the hinted region and only for
/// ranges entirely inside it; everything else is nil (the caller's general path decides).
@Suite struct HintedRegionTests {
    @Test func translatesRangesInsideTheHintedRegionToTheSameBytes() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        guest.fill(0x2345, pattern(64, seed: 1))
        guest.fill(0x10_0100, pattern(64, seed: 2))
        let a = try #require(guest.table.pointer(guestPhysical: 0x2345, length: 64, inHintedRegion: 0))
        let b = try #require(guest.table.pointer(guestPhysical: 0x10_0100, length: 64, inHintedRegion: 1))
        #expect(a == guest.table.pointer(guestPhysical: 0x2345, length: 64))
        #expect(b == guest.table.pointer(guestPhysical: 0x10_0100, length: 64))
        #expect((0..<64).map { b.load(fromByteOffset: $0, as: UInt8.self) } == pattern(64, seed: 2))
    }

    @Test func refusesAddressesOfTheOtherRegion() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        #expect(guest.table.pointer(guestPhysical: 0x10_0100, length: 64, inHintedRegion: 0) == nil)
        #expect(guest.table.pointer(guestPhysical: 0x100, length: 64, inHintedRegion: 1) == nil)
    }

    @Test func acceptsRangeEndingExactlyAtRegionEndButNotOneBytePast() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        #expect(guest.table.pointer(guestPhysical: 0xF_FF00, length: 0x100, inHintedRegion: 0) != nil)
        #expect(guest.table.pointer(guestPhysical: 0xF_FF00, length: 0x101, inHintedRegion: 0) == nil)
        #expect(guest.table.pointer(guestPhysical: 0x1F_FFFF, length: 1, inHintedRegion: 1) != nil)
        #expect(guest.table.pointer(guestPhysical: 0x1F_FFFF, length: 2, inHintedRegion: 1) == nil)
    }

    @Test func refusesHugeLengthsAndWrappingAddresses() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        #expect(guest.table.pointer(guestPhysical: 0x1000, length: UInt64.max, inHintedRegion: 0) == nil)
        #expect(guest.table.pointer(guestPhysical: UInt64.max - 3, length: 16, inHintedRegion: 0) == nil)
        #expect(guest.table.pointer(guestPhysical: UInt64.max, length: 1, inHintedRegion: 1) == nil)
    }

    @Test func refusesHintsThatNameNoRegion() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        #expect(guest.table.pointer(guestPhysical: 0x1000, length: 1, inHintedRegion: 2) == nil)
        #expect(guest.table.pointer(guestPhysical: 0x1000, length: 1, inHintedRegion: -1) == nil)
        #expect(guest.table.pointer(guestPhysical: 0x1000, length: 1, inHintedRegion: Int.min) == nil)
        guest.table.removeAll()
        #expect(guest.table.pointer(guestPhysical: 0x1000, length: 1, inHintedRegion: 0) == nil)
    }
}

/// `RegionWindow`: the hinted region taken once per burst; same answers as the hinted lookup.
@Suite struct RegionWindowTests {
    @Test func windowAnswersLikeTheHintedLookup() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        let cases: [(UInt64, UInt64)] = [(0x2345, 64), (0xF_FF00, 0x100), (0xF_FF00, 0x101), (0x10_0000, 1),
                                         (UInt64.max - 3, 16), (0x1000, UInt64.max), (0x1F_FFFF, 1), (0x1F_FFFF, 2)]
        for hint in [0, 1, 2, -1] {
            let window = guest.table.window(hint: hint)
            for (gpa, length) in cases {
                #expect(window.pointer(guestPhysical: gpa, length: length)
                        == guest.table.pointer(guestPhysical: gpa, length: length, inHintedRegion: hint))
            }
        }
    }

    @Test func windowOfATableWithoutRegionsContainsNothing() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        guest.table.removeAll()
        #expect(guest.table.window(hint: 0).pointer(guestPhysical: 0, length: 1) == nil)
    }
}
