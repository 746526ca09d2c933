#if canImport(Glibc)
import Glibc
#endif

extension OwnedFileDescriptor {
    /// One read(2): `.ok(n)` with n > 0, `.closed` at end of file, `.wouldBlock` on EAGAIN.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult<Int> {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .ok(0) }
        let n = retryingEINTR { Glibc.read(rawValue, base, buffer.count) }
        if n > 0 { return .ok(n) }
        if n == 0 { return .closed }
        return ioFailure()
    }

    /// One write(2); may be partial (`.ok(n)` with n < count).
    public func write(_ bytes: UnsafeRawBufferPointer) -> IOResult<Int> {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .ok(0) }
        let n = retryingEINTR { Glibc.write(rawValue, base, bytes.count) }
        if n >= 0 { return .ok(n) }
        return ioFailure()
    }

    /// A close-on-exec duplicate with its own lifetime (e.g. to keep a received fd past its message).
    public func duplicate() throws(Errno) -> OwnedFileDescriptor {
        let fd = fcntl(rawValue, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw Errno.current }
        return OwnedFileDescriptor(adopting: fd)
    }
}
