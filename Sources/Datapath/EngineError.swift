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
