extension ForwardingDatabase {
    /// Marks `port` as having a source allow-list: what it learns cannot be taken by a port
    /// without one (docs/port-security.md). Existing entries keep their mark until relearned.
    public func setSecured(port: UInt16, _ secured: Bool) {
        guard Int(port) < maxPorts else { return }
        securedPerPort[Int(port)] = secured ? 1 : 0
    }

    /// How many addresses `port` took over from other ports since it was added. A station that
    /// migrated moves once; a count that keeps growing is a loop or a guest spoofing others
    /// (what OVS logs as MAC flapping).
    public func moves(port: UInt16) -> UInt64 {
        Int(port) < maxPorts ? movesPerPort[Int(port)] : 0
    }

    func resetMoves(port: UInt16) {
        guard Int(port) < maxPorts else { return }
        movesPerPort[Int(port)] = 0
    }
}
