#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import LinuxIO

/// The shared dirty-page log of a migrating guest (SET_LOG_BASE with LOG_SHMFD; docs/dirty-log.md):
/// the front-end's file mapped from offset 0 for `mmapOffset + size` bytes, the log starting at
/// `mmapOffset`. Registered with the SIGBUS guard under the port's owner like guest memory, so a
/// front-end that shrinks the file afterwards breaks only its own port (docs/port-faults.md).
/// Queues hold a reference while they log into it; it is unmapped when the last one lets go.
public final class DirtyLogArea {
    /// The most log a front-end may hand us: 64 MiB covers 2 TiB of guest-physical space (one bit
    /// per 4 KiB page). A larger one costs our address space and is refused.
    public static let maxSize: UInt64 = 64 << 20

    let mapping: GuardedMapping
    /// The log's first byte, and its length in bytes.
    public let base: UnsafeMutablePointer<UInt8>
    public let size: UInt64

    public init(descriptor fd: Int32, size: UInt64, offset: UInt64, owner: UInt64) throws(GuestMemoryError) {
        guard size > 0 else { throw .emptyRegion }
        let (total, overflow) = size.addingReportingOverflow(offset)
        guard !overflow, size <= Self.maxSize, offset <= UInt64(Int.max) / 2, total <= UInt64(Int.max) else {
            throw .addressOverflow
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .mapFailed(Errno.current) }
        if (st.st_mode & S_IFMT) == S_IFREG, st.st_size < 0 || UInt64(st.st_size) < total {
            throw .fileTooSmall(fileSize: Int64(st.st_size), needed: total)
        }
        mapping = try GuardedMapping(descriptor: fd, length: Int(total), owner: owner)
        base = (mapping.region.base + Int(offset)).assumingMemoryBound(to: UInt8.self)
        self.size = size
    }

    /// The guard replaced the log with zero pages after a SIGBUS: marks from now on are lost.
    public var faulted: Bool { mapping.faulted }
}

extension DirtyLogArea {
    /// A queue's own cache of marks over this log (csy_dirty_log: marks batched per burst, flushed
    /// into the shared log with a release fence; docs/dirty-log.md). The queue deallocates it.
    public func makeCache() -> UnsafeMutablePointer<csy_dirty_log> {
        let log = UnsafeMutablePointer<csy_dirty_log>.allocate(capacity: 1)
        csy_dirty_log_init(log, base, size)
        return log
    }
}
