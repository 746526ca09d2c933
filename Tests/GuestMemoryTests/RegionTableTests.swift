#if canImport(Glibc)
import Glibc
#endif
import GuestMemory
import LinuxIO
import Testing
import VhostTestFrontEnd
import TestSupport

@Suite struct RegionTableTests {
    private func region(gpa: UInt64, size: UInt64 = 0x1000, uva: UInt64, offset: UInt64 = 0) -> MemoryRegionDescriptor {
        MemoryRegionDescriptor(guestPhysicalAddress: gpa, size: size, userspaceAddress: uva, mmapOffset: offset)
    }

    private func freshFD(_ size: Int = 0x4000) throws -> OwnedFileDescriptor {
        try Memfd.create(name: "region-test", size: size)
    }

    @Test func mapsRegionWithOffsetSoGuestAddressZeroIsTheOffsetByte() throws {
        let fd = try freshFD(0x3000)
        let view = try MappedRegion(descriptor: fd.rawValue, length: 0x3000)
        view.base.storeBytes(of: 0xAB, toByteOffset: 0x2010, as: UInt8.self)
        let table = GuestMemoryTable()
        try table.add(region(gpa: 0x40_0000, size: 0x1000, uva: 0x1_0000_0000, offset: 0x2000), descriptor: fd)
        let p = try #require(table.pointer(guestPhysical: 0x40_0010, length: 1))
        #expect(p.load(as: UInt8.self) == 0xAB)
        #expect(table.regions == [region(gpa: 0x40_0000, size: 0x1000, uva: 0x1_0000_0000, offset: 0x2000)])
    }

    @Test func closesTheDescriptorWhetherTheRegionIsAddedOrRefused() throws {
        let table = GuestMemoryTable()
        let kept = try freshFD()
        try table.add(region(gpa: 0, uva: 0x1000_0000), descriptor: kept)
        #expect(!kept.isOpen)
        let refused = try freshFD()
        #expect(throws: GuestMemoryError.emptyRegion) {
            try table.add(region(gpa: 0x10_0000, size: 0, uva: 0x2000_0000), descriptor: refused)
        }
        #expect(!refused.isOpen)
    }

    @Test func refusesEmptyAndWrappingRegions() throws {
        let table = GuestMemoryTable()
        #expect(throws: GuestMemoryError.emptyRegion) {
            try table.add(region(gpa: 0, size: 0, uva: 0x1000), descriptor: try freshFD())
        }
        #expect(throws: GuestMemoryError.addressOverflow) {
            try table.add(region(gpa: UInt64.max - 0xFFF, size: 0x1000, uva: 0x1000), descriptor: try freshFD())
        }
        #expect(throws: GuestMemoryError.addressOverflow) {
            try table.add(region(gpa: 0, size: 0x1000, uva: UInt64.max - 10), descriptor: try freshFD())
        }
        #expect(throws: GuestMemoryError.addressOverflow) {
            try table.add(region(gpa: 0, size: 0x1000, uva: 0x1000, offset: UInt64.max - 10), descriptor: try freshFD())
        }
        #expect(table.count == 0)
    }

    @Test func refusesRegionsOverlappingInGuestPhysicalOrUserspaceAddresses() throws {
        let table = GuestMemoryTable()
        try table.add(region(gpa: 0x10_0000, size: 0x2000, uva: 0x5000_0000, offset: 0), descriptor: try freshFD())
        #expect(throws: GuestMemoryError.overlapsGuestPhysicalRange) {
            try table.add(region(gpa: 0x10_1000, size: 0x2000, uva: 0x9000_0000), descriptor: try freshFD())
        }
        #expect(throws: GuestMemoryError.overlapsGuestPhysicalRange) {
            try table.add(region(gpa: 0xF_F000, size: 0x2000, uva: 0x9000_0000), descriptor: try freshFD())
        }
        #expect(throws: GuestMemoryError.overlapsUserspaceRange) {
            try table.add(region(gpa: 0x80_0000, size: 0x1000, uva: 0x5000_1000), descriptor: try freshFD())
        }
        // Touching ends are not overlaps.
        try table.add(region(gpa: 0x10_2000, size: 0x1000, uva: 0x5000_2000), descriptor: try freshFD())
        #expect(table.count == 2)
    }

    @Test func refusesMoreRegionsThanItsCapacity() throws {
        let table = GuestMemoryTable(maxRegions: 2)
        try table.add(region(gpa: 0, uva: 0x1000_0000), descriptor: try freshFD())
        try table.add(region(gpa: 0x1000, uva: 0x2000_0000), descriptor: try freshFD())
        #expect(throws: GuestMemoryError.tooManyRegions(limit: 2)) {
            try table.add(region(gpa: 0x2000, uva: 0x3000_0000), descriptor: try freshFD())
        }
    }

    @Test func refusesFileShorterThanOffsetPlusSize() throws {
        let table = GuestMemoryTable()
        #expect(throws: GuestMemoryError.fileTooSmall(fileSize: 0x2000, needed: 0x3000)) {
            try table.add(region(gpa: 0, size: 0x2000, uva: 0x1000_0000, offset: 0x1000), descriptor: try freshFD(0x2000))
        }
    }

    @Test func refusesClosedDescriptor() throws {
        let table = GuestMemoryTable()
        let fd = try freshFD()
        fd.close()
        #expect(throws: GuestMemoryError.mapFailed(Errno(EBADF))) {
            try table.add(region(gpa: 0, uva: 0x1000_0000), descriptor: fd)
        }
    }

    @Test func removesRegionMatchingAddressesAndSizeIgnoringOffset() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        let b = guest.descriptors[1]
        // Warm the cache on region B (index 1), then remove A so B moves to index 0.
        #expect(guest.table.pointer(guestPhysical: b.guestPhysicalAddress, length: 1) != nil)
        var wrongSize = guest.descriptors[0]
        wrongSize.size -= 0x1000
        #expect(!guest.table.remove(matching: wrongSize))
        var otherOffset = guest.descriptors[0]
        otherOffset.mmapOffset = 0x5000
        #expect(guest.table.remove(matching: otherOffset))
        #expect(guest.table.regions == [b])
        #expect(guest.table.pointer(guestPhysical: 0x10, length: 1) == nil)
        guest.fill(b.guestPhysicalAddress + 8, [0x5A])
        let p = try #require(guest.table.pointer(guestPhysical: b.guestPhysicalAddress + 8, length: 1))
        #expect(p.load(as: UInt8.self) == 0x5A)
        // The freed slot can be reused.
        try guest.table.add(region(gpa: 0x40_0000, uva: 0x1_0000_0000), descriptor: try freshFD())
        #expect(guest.table.count == 2)
    }

    @Test func removeAllLeavesNothingTranslatable() throws {
        let guest = try GuestRAM(regionSize: 0x10_0000, layout: .adjacent)
        guest.table.removeAll()
        #expect(guest.table.regions.isEmpty)
        #expect(guest.table.pointer(guestPhysical: 0x10, length: 1) == nil)
        #expect(guest.table.pointer(userspace: guest.descriptors[1].userspaceAddress, length: 1) == nil)
    }

    @Test func unmapsRemovedRegionsSoTheMappingCountDropsBack() throws {
        // procfs files report size 0, so read until EOF rather than by size.
        func mappingCount() throws -> Int {
            let fd = OwnedFileDescriptor(adopting: open("/proc/self/maps", O_RDONLY | O_CLOEXEC))
            var text: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd.rawValue, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                text += chunk[0..<n]
            }
            return String(decoding: text, as: UTF8.self).split(separator: "\n")
                .filter { $0.contains("memfd:unmap-probe") }.count
        }
        let table = GuestMemoryTable()
        let fd = try Memfd.create(name: "unmap-probe", size: 0x4000)
        try table.add(region(gpa: 0, size: 0x4000, uva: 0x1000_0000), descriptor: fd)
        #expect(try mappingCount() == 1)
        #expect(table.remove(matching: region(gpa: 0, size: 0x4000, uva: 0x1000_0000)))
        #expect(try mappingCount() == 0)
    }
}
