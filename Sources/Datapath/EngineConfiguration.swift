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
    /// Where each vhost-user port keeps its packed rings' journal (`.<port>.rings`), which lets
    /// them resume after the daemon restarts (docs/memory-hotplug-and-reconnect.md, "Packed
    /// rings"); nil: no journal. The daemon uses its socket directory.
    public var ringJournalDirectory: String?

    public init(fdbCapacity: Int = 8192, agingSeconds: UInt32 = 300, idle: IdlePolicy = .sleep, cpus: [Int] = [],
                ringJournalDirectory: String? = nil) {
        self.fdbCapacity = fdbCapacity
        self.agingSeconds = agingSeconds
        self.idle = idle
        self.cpus = cpus
        self.ringJournalDirectory = ringJournalDirectory
    }
}
