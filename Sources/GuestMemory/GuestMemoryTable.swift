#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// The guest's RAM as mapped into this process, and the only way the data plane turns guest
/// addresses (GPA from descriptors, UVA from ring addresses) into pointers.
///
/// Threading: mutation (`add`, `remove`, `removeAll`) must not run while any data-plane thread
/// may translate through the table or use a pointer it produced: removed regions are unmapped at
/// once. The vhost-user layer quiesces rings first and rebuilds them afterwards (ring pointers from
/// the old table are stale). Lookups themselves only read the region array, so several data-plane
/// threads may translate concurrently as long as each passes its own `hint` (the convenience
/// lookups without a hint share one cache and are meant for a single thread).
public final class GuestMemoryTable {
    /// Slot count when none is given; also what the vhost-user layer should answer to
    /// GET_MAX_MEM_SLOTS (SET_MEM_TABLE itself carries at most 8).
    public static let defaultMaxRegions = 32

    public let maxRegions: Int

    @usableFromInline let slots: UnsafeMutablePointer<RegionSlot>
    @usableFromInline let state: UnsafeMutablePointer<TableState>
    /// Parallel to `slots`: the mappings stay alive exactly as long as their slot.
    private var mappings: [GuardedMapping] = []
    /// Whose port a SIGBUS in these mappings breaks (the SIGBUS guard's owner id; 0 = nobody's).
    public let guardOwner: UInt64

    public init(maxRegions: Int = GuestMemoryTable.defaultMaxRegions, guardOwner: UInt64 = 0) {
        self.maxRegions = max(1, maxRegions)
        self.guardOwner = guardOwner
        slots = .allocate(capacity: self.maxRegions)
        state = .allocate(capacity: 1)
        state.initialize(to: TableState())
    }

    deinit {
        slots.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    public var count: Int { state.pointee.count }

    /// A snapshot of the current regions, in insertion order.
    public var regions: [MemoryRegionDescriptor] {
        (0..<state.pointee.count).map { i in
            let s = slots[i]
            return MemoryRegionDescriptor(guestPhysicalAddress: s.guestPhysicalAddress, size: s.size,
                                          userspaceAddress: s.userspaceAddress, mmapOffset: s.mmapOffset)
        }
    }

    /// Maps `region.size + region.mmapOffset` bytes of `descriptor` from file offset 0 (mmap's own
    /// offset must be page- or huge-page-aligned; the region's is not) and adds the region.
    /// The table takes the descriptor: it is closed when this returns, whether or not the region
    /// was added (the mapping keeps the memory alive; a rejected fd must not leak).
    public func add(_ region: MemoryRegionDescriptor, descriptor: OwnedFileDescriptor) throws(GuestMemoryError) {
        defer { descriptor.close() }
        let mapLength = try validate(region)
        try checkFileSize(descriptor.rawValue, needed: mapLength)
        let mapping = try GuardedMapping(descriptor: descriptor.rawValue, length: Int(mapLength), owner: guardOwner)
        let index = state.pointee.count
        (slots + index).initialize(to: RegionSlot(
            guestPhysicalAddress: region.guestPhysicalAddress, userspaceAddress: region.userspaceAddress,
            size: region.size, mmapOffset: region.mmapOffset,
            host: mapping.region.base + Int(region.mmapOffset)))
        mappings.append(mapping)
        state.pointee.count = index + 1
    }

    /// Removes the region with this GPA, UVA and size (REM_MEM_REG; the offset is not compared, as
    /// in libvhost-user and DPDK). Returns false if there is none. Its mapping is unmapped here.
    @discardableResult
    public func remove(matching region: MemoryRegionDescriptor) -> Bool {
        let n = state.pointee.count
        for i in 0..<n {
            let s = slots[i]
            guard s.guestPhysicalAddress == region.guestPhysicalAddress,
                  s.userspaceAddress == region.userspaceAddress, s.size == region.size else { continue }
            // Keep the array dense and in order: lookups scan 0..<count.
            for j in i..<(n - 1) { slots[j] = slots[j + 1] }
            mappings.remove(at: i)
            state.pointee.count = n - 1
            state.pointee.lastHit = 0
            return true
        }
        return false
    }

    /// Region `index` (insertion order) is backed by a file sealed against shrinking (F_SEAL_SHRINK,
    /// as QEMU seals its memfds), so it can never SIGBUS from a shrink.
    public func isSealedAgainstShrinking(region index: Int) -> Bool {
        mappings.indices.contains(index) && mappings[index].sealedAgainstShrinking
    }

    /// How many regions the SIGBUS guard has replaced with zero pages (their file shrank under us).
    public var faultedRegionCount: Int { mappings.reduce(0) { $0 + ($1.faulted ? 1 : 0) } }

    /// Unmaps everything (SET_MEM_TABLE replaces the whole table; disconnect drops it).
    public func removeAll() {
        state.pointee.count = 0
        state.pointee.lastHit = 0
        mappings.removeAll()
    }

    /// Returns the mapping length (size + mmapOffset) of a region that may be added.
    private func validate(_ r: MemoryRegionDescriptor) throws(GuestMemoryError) -> UInt64 {
        guard r.size > 0 else { throw .emptyRegion }
        let (gpaEnd, o1) = r.guestPhysicalAddress.addingReportingOverflow(r.size)
        let (uvaEnd, o2) = r.userspaceAddress.addingReportingOverflow(r.size)
        let (mapLength, o3) = r.mmapOffset.addingReportingOverflow(r.size)
        guard !o1, !o2, !o3, mapLength <= UInt64(Int.max) else { throw .addressOverflow }
        let n = state.pointee.count
        guard n < maxRegions else { throw .tooManyRegions(limit: maxRegions) }
        for i in 0..<n {
            let s = slots[i]
            // Existing regions were validated, so their ends cannot overflow.
            if r.guestPhysicalAddress < s.guestPhysicalAddress + s.size && s.guestPhysicalAddress < gpaEnd {
                throw .overlapsGuestPhysicalRange
            }
            if r.userspaceAddress < s.userspaceAddress + s.size && s.userspaceAddress < uvaEnd {
                throw .overlapsUserspaceRange
            }
        }
        return mapLength
    }

    /// A front-end that hands us a file shorter than the region would make us SIGBUS on first touch.
    /// Only regular files (memfd, shm, hugetlbfs) have a meaningful size; others are taken on trust.
    private func checkFileSize(_ fd: Int32, needed: UInt64) throws(GuestMemoryError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .mapFailed(Errno.current) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return }
        guard st.st_size >= 0, UInt64(st.st_size) >= needed else {
            throw .fileTooSmall(fileSize: Int64(st.st_size), needed: needed)
        }
    }
}
