import LinuxIO
import SwitchCore

/// A port as the engine holds it: its specification, its switch port number, and the object
/// that moves its frames (vhost-user today, the uplink later).
final class EnginePort {
    let index: UInt16
    var spec: PortSpecification
    var vhost: VhostPort?
    var uplink: UplinkPort?
    var tap: TapPort?  // tap wiring
    var flaps = MACFlapDetector()

    init(index: UInt16, spec: PortSpecification) {
        self.index = index
        self.spec = spec
    }

    var state: String { vhost?.state ?? uplink?.state ?? tap?.state ?? "down" }  // tap wiring

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {
        vhost?.handle(event: event, ready: ready, engine: engine)
        uplink?.handle(event: event, ready: ready)
        tap?.handle(event: event, ready: ready)  // tap wiring
    }

    func housekeeping(now: UInt32, engine: Engine) {
        vhost?.housekeeping(now: now, engine: engine)
        uplink?.housekeeping()
        tap?.housekeeping()  // tap wiring
        if let moves = flaps.check(totalMoves: engine.core.fdb.moves(port: index), now: now) {
            engine.logger.warning("MAC flapping: port took addresses learned on other ports (loop or spoofing?)",
                                  metadata: ["port": "\(spec.name)", "moves": "\(moves)"])
        }
    }

    func close(engine: Engine) {
        vhost?.close(engine: engine)
        vhost = nil
        uplink?.close()
        uplink = nil
        tap?.close()  // tap wiring
        tap = nil  // tap wiring
    }
}
