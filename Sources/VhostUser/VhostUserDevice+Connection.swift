import GuestMemory

extension VhostUserDevice {
    /// A front-end connected: start from a clean slate.
    public func connectionOpened(frontEnd: PackedRingJournal.FrontEnd? = nil) {
        resetState()
        self.frontEnd = frontEnd
        isConnected = true
        delegate?.deviceConnected(device: self)
    }

    /// The front-end is gone (EOF, error or a protocol violation): stop every ring, then drop all
    /// state — fds closed, regions unmapped, features reset
    /// (docs/vhost-user-protocol.md#disconnect-and-reconnect). The next front-end re-sends everything.
    /// `byFrontEnd`: false when we close it (the port stops), which needs no explaining.
    public func connectionClosed(byFrontEnd: Bool = true) {
        guard isConnected else { return }
        for i in rings.indices where rings[i].started { stop(i) }
        if byFrontEnd { explainEarlyLeave() }
        isConnected = false
        delegate?.deviceDisconnected(device: self)
        resetState()
    }

    private func resetState() {
        memory.removeAll()
        memory = newMemoryTable()
        regionReferences = [:]
        dirtyLog = nil
        rings = Array(repeating: VhostUserRing(), count: rings.count)
        ackedFeatures = []
        featuresAcked = false
        featuresRejected = false
        protocolFeatures = []
        status = 0
        mtu = nil
        queueLimitWatch.connectionReset()
    }

    /// A read-only view of one ring for tests, metrics and `yardctl`.
    public struct RingStatus: Equatable, Sendable {
        public var size: Int
        public var enabled: Bool
        public var started: Bool
        public var base: UInt16
        public var hasKick: Bool
        public var hasCall: Bool
    }

    public func ringStatus(_ index: Int) -> RingStatus? {
        guard rings.indices.contains(index) else { return nil }
        let r = rings[index]
        return RingStatus(size: r.size, enabled: r.enabled, started: r.started, base: r.base,
                          hasKick: r.kick != nil, hasCall: r.call != nil)
    }
}
