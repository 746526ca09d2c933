#if canImport(Glibc)
import Glibc
#endif
import GuestMemory
import LinuxIO
import Virtio

/// The back-end's side of a `GuestRAM`, for tests, benchmarks and fuzzers that drive
/// `GuestMemoryTable` or `SplitQueue` directly, with no vhost-user session to carry
/// SET_MEM_TABLE and SET_VRING_ADDR: the regions are mapped from the memfd the way
/// `VhostUserDevice` maps them, and ring addresses are translated from front-end UVAs.
extension GuestRAM {
    /// The regions as SET_MEM_TABLE would describe them.
    public var descriptors: [MemoryRegionDescriptor] {
        regions.map {
            MemoryRegionDescriptor(guestPhysicalAddress: $0.guestPhysicalAddress, size: UInt64($0.size),
                                   userspaceAddress: $0.userspaceAddress, mmapOffset: $0.mmapOffset)
        }
    }

    /// Both regions mapped by a fresh table (each from its own duplicate of the memfd).
    public func makeTable(maxRegions: Int = GuestMemoryTable.defaultMaxRegions) throws -> GuestMemoryTable {
        let table = GuestMemoryTable(maxRegions: maxRegions)
        for region in descriptors {
            let fd = dup(file.rawValue)
            guard fd >= 0 else { throw Errno.current }
            try table.add(region, descriptor: OwnedFileDescriptor(adopting: fd))
        }
        return table
    }

    /// The back-end's table over this RAM, made by `makeTable()` on first use (a failure to map
    /// 2 × region size of a memfd stops the test process with the reason).
    public var table: GuestMemoryTable {
        if let backEndTable { return backEndTable }
        do {
            let made = try makeTable()
            backEndTable = made
            return made
        } catch {
            preconditionFailure("cannot map guest RAM for the back-end: \(error)")
        }
    }

    /// The device side of a split ring whose areas the driver placed at these guest-physical
    /// addresses, built as the vhost-user layer builds it: the driver's UVAs for them (what
    /// SET_VRING_ADDR carries) translated by `table`. Nil if an area is not inside one region.
    public func makeQueue(size: Int, descriptorGPA: UInt64, availGPA: UInt64, usedGPA: UInt64, eventIndex: Bool,
                          indirect: Bool = false, lastAvailIndex: UInt16,
                          limits: SplitQueue.Limits = SplitQueue.Limits()) -> SplitQueue? {
        func area(_ gpa: UInt64, _ length: Int) -> UnsafeMutableRawPointer? {
            guard let r = regions.first(where: { gpa >= $0.guestPhysicalAddress && gpa - $0.guestPhysicalAddress < UInt64($0.size) })
            else { return nil }
            return table.pointer(userspace: r.userspaceAddress + (gpa - r.guestPhysicalAddress), length: length)
        }
        guard let d = area(descriptorGPA, SplitRing.descriptorTableBytes(queueSize: size)),
              let a = area(availGPA, SplitRing.availRingBytes(queueSize: size, eventIndex: eventIndex)),
              let u = area(usedGPA, SplitRing.usedRingBytes(queueSize: size, eventIndex: eventIndex))
        else { return nil }
        return SplitQueue(size: UInt16(size), descriptors: d, avail: a, used: u, memory: table,
                          eventIndex: eventIndex, lastAvailIndex: lastAvailIndex,
                          indirectDescriptors: indirect, limits: limits)
    }

    /// A scratch array of `count` empty segments for translation calls.
    public func segmentBuffer(count: Int) -> [GuestSegment] {
        [GuestSegment](repeating: GuestSegment(base: mapping.base, length: 0), count: count)
    }
}
