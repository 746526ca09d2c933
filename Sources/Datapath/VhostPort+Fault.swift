// Stand-in (helper "noblock"): the real `fail` comes from helper "faults" at merge. This one
// records the fault and disconnects the front-end after the turn, which is what the tests of
// docs/never-blocking.md rely on.

extension VhostPort {
    /// Fails the port: counted once, logged once, disconnected between turns (never inside a
    /// burst, whose rings are still in use).
    func fail(_ fault: PortFault) {
        self.fault = fault
        guard !faultPending else { return }
        faultPending = true
        engine.faultedPorts.append(index)
        engine.faultsPending.pointee = true
    }

    /// Between turns: drop the front-end of a failed port.
    func disconnectAfterFault() {
        guard faultPending, let fault else { return }
        faultPending = false
        engine.logger.error("port failed: \(fault); disconnecting its front-end", metadata: ["port": "\(spec.name)"])
        endpoint.disconnect(reason: "port failed: \(fault)")
    }
}
