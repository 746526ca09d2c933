public struct DatapathSettings: Equatable, Sendable {
    /// CPU ids the forwarding thread(s) may run on, sorted and without duplicates.
    /// Empty means unpinned (the scheduler decides).
    public var cpus: [Int]
    public var idle: IdleStrategy

    public init(cpus: [Int] = [], idle: IdleStrategy = .sleep) {
        self.cpus = cpus
        self.idle = idle
    }
}

/// What a forwarding thread does when no queue has work.
public enum IdleStrategy: String, CaseIterable, Equatable, Sendable {
    /// Block in epoll on the kick eventfds: no CPU burnt when idle, some wake-up latency. Polls
    /// for an adaptive 0–50 µs first (Datapath's `IdleSpin`).
    case sleep
    /// Busy-poll the rings forever: lowest latency, one core at 100 %.
    case poll
}
