import CSwitchyard

extension Engine {
    /// Runs after a turn in which some port fault was recorded in the process (the SIGBUS guard or
    /// `VhostPort.fail`, possibly another engine's): breaks every port of this engine that has one
    /// (docs/port-faults.md). Cold path.
    func actOnPortFaults() {
        // Read first: a fault recorded while this runs bumps it again and is seen next turn.
        faultsSeen.pointee = csy_fault_generation()
        for case let port? in ports { port.object.applyPendingFault() }
    }

    /// The fault recorded on a port (pending, or the latest acted on, kept across reconnects).
    public func portFault(named name: String) -> PortFault? {
        guard let index = portIndex(named: name) else { return nil }
        guard let port = ports[Int(index)]?.vhost else { return nil }
        return port.faults.pending ?? port.faults.last
    }
}
