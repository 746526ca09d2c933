import LinuxIO

/// Why a region could not be added. Every case is a front-end (or configuration) mistake that the
/// vhost-user layer answers with a failed ack, never a crash.
public enum GuestMemoryError: Error, Equatable, Sendable {
    case emptyRegion
    /// GPA + size, UVA + size or mmapOffset + size does not fit in 64 bits (or in our address space).
    case addressOverflow
    case overlapsGuestPhysicalRange
    case overlapsUserspaceRange
    case tooManyRegions(limit: Int)
    /// The file is smaller than mmapOffset + size: touching the tail would raise SIGBUS.
    case fileTooSmall(fileSize: Int64, needed: UInt64)
    case mapFailed(Errno)
    /// The SIGBUS guard's registry is full or its handler could not be installed: an unguarded
    /// mapping could take the whole process down (docs/port-faults.md).
    case memoryGuardUnavailable(Errno)
}
