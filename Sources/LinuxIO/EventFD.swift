#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// An eventfd: the doorbell between guest and switch (kick and call) and between threads.
/// The counter value carries no meaning; a write of 1 rings, a read drains.
public final class EventFD {
    public let descriptor: OwnedFileDescriptor
    public var rawValue: Int32 { descriptor.rawValue }

    public init(nonBlocking: Bool = true) throws(Errno) {
        let fd = csy_eventfd(0, nonBlocking ? 1 : 0)
        guard fd >= 0 else { throw Errno.current }
        descriptor = OwnedFileDescriptor(adopting: fd)
    }

    /// Wraps a descriptor received from a front-end. Kick fds from QEMU are not guaranteed to be
    /// non-blocking, so make them so: a drain must never stall the engine.
    public init(adopting fd: OwnedFileDescriptor) {
        descriptor = fd
        try? fd.setNonBlocking()
    }

    @inline(__always)
    public func signal() {
        var one: UInt64 = 1
        _ = retryingEINTR { write(descriptor.rawValue, &one, 8) }
    }

    /// Drains the counter; returns the accumulated count, or 0 if nothing was pending.
    @discardableResult
    public func drain() -> UInt64 {
        var value: UInt64 = 0
        let n = retryingEINTR { read(descriptor.rawValue, &value, 8) }
        return n == 8 ? value : 0
    }
}
