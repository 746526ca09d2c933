import LinuxIO
import SwitchCore

/// A vhost-user port. (Stub until the vhost-user back-end lands: listens, accepts nothing.)
final class VhostPort {
    let index: UInt16
    let spec: PortSpecification
    var listener: UnixListener?
    var state: String

    init(index: UInt16, spec: PortSpecification, engine: Engine) throws {
        self.index = index
        self.spec = spec
        guard case .vhostUser(let path, let mode, _) = spec.kind else { throw EngineError.portSetup(spec.name, "not a vhost-user port") }
        switch mode {
        case .server:
            listener = try UnixListener(path: path)
            state = "listening"
        case .client:
            state = "connecting"
        }
    }

    var negotiatedFeatureNames: [String] { [] }
    var enabledQueuePairs: Int { 0 }

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {}
    func housekeeping(now: UInt32, engine: Engine) {}
    func close(engine: Engine) { listener?.close() }
}
