#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

/// A named pthread, optionally pinned to CPUs before its first instruction runs (the affinity
/// goes into the creation attributes, so a datapath worker never starts on the wrong core and
/// migrates). Control-plane object: the body closure is called once.
public final class PinnedThread {
    public let name: String
    private let handle: pthread_t
    private var joined = false

    private final class Start {
        let name: String
        let body: () -> Void
        init(_ name: String, _ body: @escaping () -> Void) { self.name = name; self.body = body }
    }

    /// Starts `body` on a new thread called `name` (cut to 15 bytes by the kernel), restricted to
    /// `cpus` when given. Throws the pthread error (EINVAL for a CPU that does not exist).
    public init(name: String, cpus: [Int]? = nil, body: @escaping () -> Void) throws(Errno) {
        self.name = name
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let cpus {
            let list = cpus.map { Int32(clamping: $0) }
            let rc = list.withUnsafeBufferPointer {
                csy_thread_attr_set_affinity(&attr, $0.baseAddress, Int32($0.count))
            }
            guard rc == 0 else { throw Errno(rc) }
        }
        let context = Unmanaged.passRetained(Start(name, body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { raw in
            guard let raw else { return nil }
            let start = Unmanaged<Start>.fromOpaque(raw).takeRetainedValue()
            // Named by the thread itself, before the body: otherwise it briefly carries (and the
            // body may observe) the creator's inherited name.
            _ = start.name.withCString { csy_thread_set_name(pthread_self(), $0) }
            start.body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Start>.fromOpaque(context).release()
            throw Errno(rc)
        }
        handle = tid
    }

    /// Waits for the body to return. Calling it again is a no-op.
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(handle, nil)
    }

    /// An unjoined thread is detached so its resources are reclaimed when it ends.
    deinit { if !joined { pthread_detach(handle) } }
}
