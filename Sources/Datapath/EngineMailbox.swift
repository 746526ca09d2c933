import Dispatch
import LinuxIO
import Synchronization

/// Work the control thread hands to the engine thread. The engine owns the FDB, the rings and the
/// counters; everything else reaches them only through here, between bursts, so the hot path
/// needs no lock. The lock below is taken once per control request, never per frame.
final class EngineMailbox: @unchecked Sendable {
    private final class Job {
        let work: () -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    private let jobs = Mutex<[Job]>([])
    private let pendingCount = Atomic<Int>(0)
    /// Wakes the engine when it sleeps in epoll.
    let doorbell: EventFD

    init() throws(Errno) { doorbell = try EventFD() }

    /// Cheap check the engine makes once per loop turn.
    @inline(__always)
    var hasWork: Bool { pendingCount.load(ordering: .acquiring) > 0 }

    /// Runs `body` on the engine thread and waits for its result; nil if the engine did not take
    /// the job within `timeoutSeconds` (it is stopped or wedged).
    func perform<T>(timeoutSeconds: Double, _ body: @escaping () -> T) -> T? {
        let box = ResultBox<T>()
        let job = Job { box.value = body() }
        jobs.withLock { $0.append(job) }
        pendingCount.add(1, ordering: .releasing)
        doorbell.signal()
        guard job.done.wait(timeout: .now() + timeoutSeconds) == .success else { return nil }
        return box.value
    }

    /// Engine thread: run everything queued so far.
    func drain() {
        doorbell.drain()
        let batch = jobs.withLock { q -> [Job] in
            let taken = q
            q.removeAll()
            return taken
        }
        pendingCount.subtract(batch.count, ordering: .releasing)
        for job in batch {
            job.work()
            job.done.signal()
        }
    }
}

private final class ResultBox<T> { var value: T? }
