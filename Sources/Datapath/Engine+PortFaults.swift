// Failing a port from inside a burst (docs/never-blocking.md): `VhostPort.fail` only records;
// the disconnect happens here, between turns, when no ring of the port is in use.

extension Engine {
    /// Engine thread, between turns.
    func applyPortFaults() {
        let failed = faultedPorts
        faultedPorts = []
        faultsPending.pointee = false
        for index in failed where Int(index) < ports.count { ports[Int(index)]?.vhost?.disconnectAfterFault() }
    }

    /// The fault recorded on a port, if any (engine thread; tests and `yardctl`).
    public func portFault(named name: String) -> PortFault? {
        guard let index = portIndex(named: name) else { return nil }
        return ports[Int(index)]?.vhost?.fault
    }
}
