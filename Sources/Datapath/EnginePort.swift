import LinuxIO
import SwitchCore

/// A port as the engine holds it: its specification, its switch port number, and the object
/// that moves its frames (vhost-user today, the uplink later).
final class EnginePort {
    let index: UInt16
    var spec: PortSpecification
    var vhost: VhostPort?

    init(index: UInt16, spec: PortSpecification) {
        self.index = index
        self.spec = spec
    }

    var state: String { vhost?.state ?? "down" }

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {
        vhost?.handle(event: event, ready: ready, engine: engine)
    }

    func housekeeping(now: UInt32, engine: Engine) {
        vhost?.housekeeping(now: now, engine: engine)
    }

    func close(engine: Engine) {
        vhost?.close(engine: engine)
        vhost = nil
    }
}
