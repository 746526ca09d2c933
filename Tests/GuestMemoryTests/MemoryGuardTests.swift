#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import GuestMemory
import LinuxIO
import Testing

/// The SIGBUS guard at the table level (docs/port-faults.md): a region whose file shrinks under
/// the mapping reads as zeros and is recorded for its owner instead of killing the process.
@Suite struct MemoryGuardTests {
    private let region = MemoryRegionDescriptor(guestPhysicalAddress: 0, size: 0x4000, userspaceAddress: 0x7000_0000,
                                                mmapOffset: 0)

    /// `region` on a fresh memfd in a table guarded for `owner`; `keep` is the test's own copy of
    /// the memfd (to shrink it under the mapping), `p` points 0x3000 into the region.
    private func guardedRegion(_ name: String, owner: UInt64) throws
        -> (table: GuestMemoryTable, keep: OwnedFileDescriptor, p: UnsafeMutableRawPointer) {
        let file = try Memfd.create(name: name, size: 0x4000)
        let keep = OwnedFileDescriptor(adopting: dup(file.rawValue))
        let table = GuestMemoryTable(guardOwner: owner)
        try table.add(region, descriptor: file)
        return (table, keep, try #require(table.pointer(guestPhysical: 0x3000, length: 8)))
    }

    @Test func aShrunkFileReadsAsZerosAndIsRecordedForItsOwner() throws {
        let owner: UInt64 = 0xFA17_0000_0001
        let (table, keep, p) = try guardedRegion("faults-guard", owner: owner)
        // Positive control: the mapping is the file, and nothing has faulted.
        var one: UInt64 = 0x1122_3344_5566_7788
        #expect(pwrite(keep.rawValue, &one, 8, 0x3000) == 8)
        #expect(p.load(as: UInt64.self) == 0x1122_3344_5566_7788)
        #expect(table.faultedRegionCount == 0 && csy_memory_guard_take_faults(owner) == 0)
        let generation = csy_fault_generation()

        #expect(ftruncate(keep.rawValue, 0x1000) == 0)
        // Past the new end: SIGBUS, answered with zero pages; then reads and writes just work.
        #expect(p.load(as: UInt64.self) == 0)
        p.storeBytes(of: 7, as: UInt64.self)
        #expect(p.load(as: UInt64.self) == 7)
        #expect(table.faultedRegionCount == 1)
        #expect(csy_fault_generation() != generation)
        #expect(csy_memory_guard_take_faults(owner) == 1)
        #expect(csy_memory_guard_take_faults(owner) == 0, "taking the fault clears it")
        // The whole mapping was replaced: the guest's side of the file is no longer ours.
        let low = try #require(table.pointer(guestPhysical: 0, length: 8))
        #expect(low.load(as: UInt64.self) == 0)
    }

    @Test func notesARegionSealedAgainstShrinking() throws {
        let sealed = csy_memfd_create_sealed("faults-sealed", 0x4000)
        try #require(sealed >= 0)
        let keep = OwnedFileDescriptor(adopting: dup(sealed))
        let table = GuestMemoryTable()
        try table.add(region, descriptor: OwnedFileDescriptor(adopting: sealed))
        #expect(table.isSealedAgainstShrinking(region: 0))
        #expect(ftruncate(keep.rawValue, 0) == -1 && errno == EPERM, "a sealed memfd cannot shrink")
        // Control: an unsealed memfd is not noted.
        let plain = GuestMemoryTable()
        try plain.add(region, descriptor: try Memfd.create(name: "faults-plain", size: 0x4000))
        #expect(!plain.isSealedAgainstShrinking(region: 0))
    }

    @Test func unregistersTheMappingWhenTheRegionGoes() throws {
        let owner: UInt64 = 0xFA17_0000_0002
        let (table, keep, p) = try guardedRegion("faults-unregister", owner: owner)
        #expect(ftruncate(keep.rawValue, 0) == 0)
        _ = p.load(as: UInt64.self)
        table.removeAll()
        // The slot is gone with its fault: nothing is left to take for this owner.
        #expect(csy_memory_guard_take_faults(owner) == 0)
    }
}
