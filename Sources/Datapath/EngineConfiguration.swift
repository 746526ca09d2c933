/// What the engine needs from the config file's `switch` section.
public struct EngineConfiguration: Equatable, Sendable {
    /// `sleep`: back off to epoll on the kick eventfds when idle (~0% CPU idle).
    /// `poll`: never sleep (lowest latency, one core always busy).
    public enum IdlePolicy: String, Sendable { case sleep, poll }

    public var fdbCapacity: Int
    public var agingSeconds: UInt32
    public var idle: IdlePolicy
    /// CPUs the forwarding thread may run on; empty = no pinning.
    public var cpus: [Int]

    public init(fdbCapacity: Int = 8192, agingSeconds: UInt32 = 300, idle: IdlePolicy = .sleep, cpus: [Int] = []) {
        self.fdbCapacity = fdbCapacity
        self.agingSeconds = agingSeconds
        self.idle = idle
        self.cpus = cpus
    }
}
