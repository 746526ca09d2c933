import LinuxIO
import SwitchCore

/// A port as the engine holds it: its specification, its switch port number, and what it is
/// (`PortKind`: the object that moves its frames).
final class EnginePort {
    let index: UInt16
    /// Replaced by a reload in place (`Engine.updatePort`), between bursts.
    var spec: PortSpecification
    /// Owns the kind's object; `kind` names it unmanaged for the hot path.
    let object: any SwitchPort
    let kind: PortKind
    var flaps = MACFlapDetector()

    init(index: UInt16, spec: PortSpecification, object: any SwitchPort, kind: PortKind) {
        self.index = index
        self.spec = spec
        self.object = object
        self.kind = kind
    }

    var state: PortOperationalState { object.state }

    /// The vhost-user side, if that is what the port is (cold paths and tests).
    var vhost: VhostPort? {
        if case .vhostUser(let port) = kind { return port.takeUnretainedValue() }
        return nil
    }

    /// The uplink side, if that is what the port is (cold paths and tests).
    var uplink: UplinkPort? {
        if case .uplink(let port) = kind { return port.takeUnretainedValue() }
        return nil
    }

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {
        object.handle(event: event, ready: ready, engine: engine)
    }

    func housekeeping(now: UInt32, engine: Engine) {
        object.housekeeping(now: now, engine: engine)
        if let moves = flaps.check(totalMoves: engine.bridge.fdb.moves(port: index), now: now) {
            engine.logger.warning("MAC flapping: port took addresses learned on other ports (loop or spoofing?)",
                                  metadata: ["port": "\(spec.name)", "moves": "\(moves)"])
        }
    }

    func close(engine: Engine) {
        object.close(engine: engine)
    }
}
