// Shared by GuestMemoryTests and VirtioTests.
#if canImport(Glibc)
import Glibc
#endif
import GuestMemory
import LinuxIO

/// 2 MiB of memfd "guest RAM" exposed as two regions, the way QEMU splits RAM: adjacent in GPA
/// (GPA == file offset), far apart in the front-end's address space (UVA), and two separate
/// mappings on our side, so a buffer across GPA 1 MiB is two pieces.
public final class TwoRegionGuest {
    public static let regionSize: UInt64 = 0x10_0000
    public static let regionA = MemoryRegionDescriptor(guestPhysicalAddress: 0, size: regionSize,
                                                userspaceAddress: 0x7F00_0000_0000, mmapOffset: 0)
    public static let regionB = MemoryRegionDescriptor(guestPhysicalAddress: regionSize, size: regionSize,
                                                userspaceAddress: 0x7F40_0000_0000, mmapOffset: regionSize)

    public let table: GuestMemoryTable
    /// The "driver's" own view of the same bytes, indexed by GPA.
    public let driverView: MappedRegion

    public init(maxRegions: Int = GuestMemoryTable.defaultMaxRegions) throws {
        let fd = try Memfd.create(name: "guest-ram", size: Int(2 * Self.regionSize))
        driverView = try MappedRegion(descriptor: fd.rawValue, length: Int(2 * Self.regionSize))
        let second = OwnedFileDescriptor(adopting: dup(fd.rawValue))
        table = GuestMemoryTable(maxRegions: maxRegions)
        try table.add(Self.regionA, descriptor: fd)
        try table.add(Self.regionB, descriptor: second)
    }

    public func driverPointer(_ gpa: UInt64) -> UnsafeMutableRawPointer { driverView.base + Int(gpa) }

    public func fill(_ gpa: UInt64, _ bytes: [UInt8]) {
        for (i, b) in bytes.enumerated() { driverPointer(gpa).storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
    }

    public func bytes(_ gpa: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { driverPointer(gpa).load(fromByteOffset: $0, as: UInt8.self) }
    }
}

public func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
}

public func gatherAll(_ segments: UnsafeBufferPointer<GuestSegment>) -> [UInt8] {
    var out: [UInt8] = []
    for s in segments {
        for i in 0..<s.length { out.append(s.base.load(fromByteOffset: i, as: UInt8.self)) }
    }
    return out
}

/// Scratch segment array for translation calls.
public func segmentBuffer(_ guest: TwoRegionGuest, count: Int) -> [GuestSegment] {
    [GuestSegment](repeating: GuestSegment(base: guest.driverView.base, length: 0), count: count)
}
