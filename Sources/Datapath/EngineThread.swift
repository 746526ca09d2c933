#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import Dispatch

/// A plain pthread for the forwarding loop: the datapath must not share a cooperative pool
/// with anything, and it may be pinned to CPUs (like OVS's pmd-cpu-mask).
final class EngineThread {
    private var thread: pthread_t?
    private let body: () -> Void

    init(body: @escaping () -> Void) { self.body = body }

    /// Starts the thread; it names and pins itself before running `body`, and `start` returns
    /// only after pinning succeeded or failed, so a bad CPU list is a start-up error.
    func start(name: String, cpus: [Int]) throws {
        let outcome = DispatchSemaphore(value: 0)
        var pinError: Int32 = 0
        let body = self.body
        let run = {
            _ = csy_name_current_thread(name)
            if !cpus.isEmpty {
                pinError = cpus.map(Int32.init).withUnsafeBufferPointer {
                    csy_pin_current_thread($0.baseAddress, Int32($0.count))
                }
            }
            outcome.signal()
            if pinError == 0 { body() }
        }
        let box = Unmanaged.passRetained(ThreadBody(run))
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw EngineError.threadStart(rc)
        }
        thread = t
        outcome.wait()
        if pinError != 0 {
            join()
            throw EngineError.affinity(cpus, pinError)
        }
    }

    func join() {
        guard let t = thread else { return }
        pthread_join(t, nil)
        thread = nil
    }
}

public enum EngineError: Error, CustomStringConvertible, Equatable {
    case threadStart(Int32)
    case affinity([Int], Int32)
    case duplicatePort(String)
    case noSuchPort(String)
    case tooManyPorts
    case portSetup(String, String)
    case notRunning

    public var description: String {
        switch self {
        case .threadStart(let rc): return "cannot start the forwarding thread (error \(rc))"
        case .affinity(let cpus, let rc): return "cannot pin the forwarding thread to CPUs \(cpus) (error \(rc))"
        case .duplicatePort(let n): return "port \(n) exists already"
        case .noSuchPort(let n): return "no port named \(n)"
        case .tooManyPorts: return "too many ports"
        case .portSetup(let n, let why): return "port \(n): \(why)"
        case .notRunning: return "the forwarding engine is not running"
        }
    }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
