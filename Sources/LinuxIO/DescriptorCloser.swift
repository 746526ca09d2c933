#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import Synchronization

/// Closes descriptors received from a peer on a thread of its own (docs/never-blocking.md).
///
/// close(2) of the last reference can sleep, and a front-end chooses what it sends: a TCP socket
/// with SO_LINGER and unsent data sleeps up to the linger time, a file on a FUSE mount it serves
/// sleeps until its flush is answered. The engine thread closes such descriptors whenever a
/// message carries one it does not take; through here the close costs it a lock and an eventfd
/// write instead. One stuck close delays the ones behind it (they stay open), never the caller.
public final class DescriptorCloser: Sendable {
    public static let shared = DescriptorCloser()

    private final class Queue: Sendable {
        let pending = Mutex<[Int32]>([])
        /// Our own eventfd, never shared: the closer thread sleeps on it.
        let doorbell = csy_eventfd(0, 0)
    }

    private let queue = Queue()
    private let inline: Bool

    private init() {
        let q = queue
        var started = false
        if q.doorbell >= 0 {
            started = (try? PinnedThread(name: "switchyard-close", body: { DescriptorCloser.run(q) })) != nil
        }
        // Without the thread (no memory for it), closes happen in line as before.
        inline = !started
    }

    /// Queues `fd` for closing and returns at once.
    public func close(_ fd: Int32) {
        guard fd >= 0 else { return }
        if inline {
            _ = Glibc.close(fd)
            return
        }
        queue.pending.withLock { $0.append(fd) }
        var one: UInt64 = 1
        _ = write(queue.doorbell, &one, 8)
    }

    /// Descriptors queued but not yet closed (tests).
    public var backlog: Int { queue.pending.withLock { $0.count } }

    private static func run(_ q: Queue) {
        while true {
            var value: UInt64 = 0
            _ = read(q.doorbell, &value, 8)
            let batch = q.pending.withLock { pending -> [Int32] in
                let b = pending
                pending = []
                return b
            }
            for fd in batch {
                defuseLinger(fd)
                _ = Glibc.close(fd)
            }
        }
    }

    /// A peer's socket with SO_LINGER and a send queue nobody reads sleeps in close for its
    /// linger time, which the peer chooses (up to INT_MAX seconds): that would stop this thread
    /// for good, and every descriptor queued behind it would stay open until the process runs out
    /// of them, for every port (docs/red-team.md). Linger 0 makes the close abortive
    /// (a reset, the unsent data discarded), which never sleeps; we never wanted its data.
    /// A file on a FUSE mount its peer serves can still hold this thread (docs/never-blocking.md).
    static func defuseLinger(_ fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else { return }
        var abortive = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, socklen_t(MemoryLayout<linger>.size))
    }
}
