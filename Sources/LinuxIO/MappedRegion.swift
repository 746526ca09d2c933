#if canImport(Glibc)
import Glibc
#endif

/// A shared mapping of a descriptor, unmapped exactly once (when the last owner lets go).
/// Guest memory regions live in these; nothing that can still run a burst may hold a pointer into
/// a region after it is released, which is why the engine applies table changes between bursts.
public final class MappedRegion {
    public let base: UnsafeMutableRawPointer
    public let length: Int

    /// Maps `length` bytes of `fd` from file offset 0, read-write, MAP_SHARED | MAP_NORESERVE.
    /// (Like libvhost-user we map from 0 and add the region's offset ourselves: mmap's offset must
    /// be page-aligned, and hugetlbfs wants huge-page alignment.)
    public init(descriptor fd: Int32, length: Int, writable: Bool = true) throws(Errno) {
        guard length > 0 else { throw Errno(EINVAL) }
        let prot = writable ? PROT_READ | PROT_WRITE : PROT_READ
        guard let p = mmap(nil, length, prot, MAP_SHARED | MAP_NORESERVE, fd, 0),
              p != MAP_FAILED else { throw Errno.current }
        base = p
        self.length = length
    }

    deinit { munmap(base, length) }
}
