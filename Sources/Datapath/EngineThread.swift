#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread for the forwarding loop: the datapath must not share a cooperative pool
/// with anything, and it may be pinned to CPUs (like OVS's pmd-cpu-mask).
final class EngineThread {
    private var thread: pthread_t?
    private let body: () -> Void

    init(body: @escaping () -> Void) { self.body = body }

    func start(name: String, cpus: [Int]) throws {
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            let me = Unmanaged<EngineThread>.fromOpaque(arg).takeRetainedValue()
            me.body()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw EngineError.threadStart(rc)
        }
        thread = t
        _ = pthread_setname_np(t, String(name.prefix(15)))
        if !cpus.isEmpty {
            var set = cpu_set_t()
            withUnsafeMutableBytes(of: &set) { raw in
                for cpu in cpus where cpu >= 0 && cpu < raw.count * 8 {
                    raw[cpu / 8] |= UInt8(1 << (cpu % 8))
                }
            }
            let rc = pthread_setaffinity_np(t, MemoryLayout<cpu_set_t>.size, &set)
            if rc != 0 { throw EngineError.affinity(cpus, rc) }
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
