import CSwitchyard
import GuestMemory
import LinuxIO

/// Guest RAM for the test front-end, the benchmarks and the fuzzers: one memfd holding two
/// regions, laid out so that mixing up address spaces fails loudly. With `.qemu`, region 0 (GPA 0)
/// sits in the *second* half of the file and of the front-end's mapping, region 1 (GPA 4 GiB) in
/// the first half, so GPA ≠ UVA, the UVA order differs from the GPA order, and one region has a
/// non-zero mmap offset. With `.identity` (DPDK virtio-user) GPA == UVA. With `.adjacent` (QEMU
/// splitting RAM below and above a hole, without the hole) the regions are adjacent in GPA and
/// GPA == file offset, so one blob laid from GPA 0 covers both and a buffer across the boundary is
/// two pieces for the back-end; their UVAs are far apart and not addresses of this process (the
/// back-end must translate them through its own table, `table`).
public final class GuestRAM {
    public enum Layout: Sendable { case qemu, identity, adjacent }

    /// `.adjacent`: the front-end UVAs of regions 0 and 1 (never dereferenced on this side).
    public static let adjacentUserspaceAddresses: [UInt64] = [0x7F00_0000_0000, 0x7F40_0000_0000]

    public struct Region: Equatable {
        public var guestPhysicalAddress: UInt64
        public var size: Int
        public var userspaceAddress: UInt64
        public var mmapOffset: UInt64
        /// The front-end's pointer to the region's first byte.
        public var base: UnsafeMutableRawPointer
    }

    /// A block of guest memory as the driver knows it.
    public struct Block {
        public var gpa: UInt64
        public var uva: UInt64
        public var pointer: UnsafeMutableRawPointer
        public var length: Int
    }

    public let file: OwnedFileDescriptor
    public let mapping: MappedRegion
    public let regions: [Region]
    private var cursors: [Int]
    /// The back-end's view (`GuestRAM+BackEnd.swift`), mapped on first use.
    var backEndTable: GuestMemoryTable?

    public init(regionSize: Int = 4 << 20, layout: Layout = .qemu, name: String = "guest-ram", sealed: Bool = false) throws {
        if sealed {
            let fd = csy_memfd_create_sealed(name, UInt64(2 * regionSize))
            guard fd >= 0 else { throw Errno.current }
            file = OwnedFileDescriptor(adopting: fd)
        } else {
            file = try Memfd.create(name: name, size: 2 * regionSize)
        }
        mapping = try MappedRegion(descriptor: file.rawValue, length: 2 * regionSize)
        let low = mapping.base
        let high = mapping.base + regionSize
        func uva(_ p: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }
        switch layout {
        case .qemu:
            regions = [
                Region(guestPhysicalAddress: 0, size: regionSize, userspaceAddress: uva(high),
                       mmapOffset: UInt64(regionSize), base: high),
                Region(guestPhysicalAddress: 0x1_0000_0000, size: regionSize, userspaceAddress: uva(low),
                       mmapOffset: 0, base: low),
            ]
        case .identity:
            regions = [
                Region(guestPhysicalAddress: uva(low), size: regionSize, userspaceAddress: uva(low), mmapOffset: 0, base: low),
                Region(guestPhysicalAddress: uva(high), size: regionSize, userspaceAddress: uva(high),
                       mmapOffset: UInt64(regionSize), base: high),
            ]
        case .adjacent:
            let uvas = GuestRAM.adjacentUserspaceAddresses
            regions = [
                Region(guestPhysicalAddress: 0, size: regionSize, userspaceAddress: uvas[0], mmapOffset: 0, base: low),
                Region(guestPhysicalAddress: UInt64(regionSize), size: regionSize, userspaceAddress: uvas[1],
                       mmapOffset: UInt64(regionSize), base: high),
            ]
        }
        cursors = [0, 0]
    }

    /// Bump allocation inside one region (zeroed memory: the memfd starts zeroed and nothing is freed).
    public func allocate(_ length: Int, alignment: Int = 64, region: Int) throws -> Block {
        let r = regions[region]
        let start = (cursors[region] + alignment - 1) / alignment * alignment
        guard start + length <= r.size else { throw TestFrontEndError.outOfGuestMemory }
        cursors[region] = start + length
        return Block(gpa: r.guestPhysicalAddress + UInt64(start), uva: r.userspaceAddress + UInt64(start),
                     pointer: r.base + start, length: length)
    }

    /// The front-end's pointer for a guest-physical range, or nil if it is not inside one region.
    public func pointer(gpa: UInt64, length: Int) -> UnsafeMutableRawPointer? {
        for r in regions where gpa >= r.guestPhysicalAddress && gpa - r.guestPhysicalAddress + UInt64(length) <= UInt64(r.size) {
            return r.base + Int(gpa - r.guestPhysicalAddress)
        }
        return nil
    }

    /// The front-end's pointer to one guest-physical byte; traps outside guest RAM (a test's own
    /// addressing mistake, not the back-end's).
    public func driverPointer(_ gpa: UInt64) -> UnsafeMutableRawPointer {
        guard let p = pointer(gpa: gpa, length: 1) else { preconditionFailure("GPA \(gpa) is not guest RAM") }
        return p
    }

    /// Copies `bytes` to `gpa`; the range may cross from one region into the next.
    public func fill(_ gpa: UInt64, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            forEachPiece(gpa, raw.count) { p, offset, n in p.copyMemory(from: raw.baseAddress! + offset, byteCount: n) }
        }
    }

    /// `count` bytes from `gpa`; the range may cross from one region into the next.
    public func bytes(_ gpa: UInt64, _ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            forEachPiece(gpa, count) { p, offset, n in (raw.baseAddress! + offset).copyMemory(from: p, byteCount: n) }
        }
        return out
    }

    /// Splits a guest-physical range at region ends: (front-end pointer, offset in the range, length).
    private func forEachPiece(_ gpa: UInt64, _ count: Int, _ body: (UnsafeMutableRawPointer, Int, Int) -> Void) {
        var done = 0
        while done < count {
            let at = gpa + UInt64(done)
            guard let r = regions.first(where: { at >= $0.guestPhysicalAddress && at - $0.guestPhysicalAddress < UInt64($0.size) })
            else { preconditionFailure("GPA \(at) is not guest RAM") }
            let inRegion = Int(at - r.guestPhysicalAddress)
            let n = min(count - done, r.size - inRegion)
            body(r.base + inRegion, done, n)
            done += n
        }
    }
}
