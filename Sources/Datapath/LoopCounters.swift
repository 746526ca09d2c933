/// How the forwarding loop spends its turns, the figures an OVS user reads from
/// `dpif-netdev/pmd-stats-show`. Bursts that leave frames waiting on their ring
/// (`backloggedBursts`) mean the switch is the slow side; a loop with mostly idle turns and no
/// backlog keeps up and waits on its guests. Counted per turn and per ring visit, never per
/// frame; written by the engine thread only.
public struct LoopCounters: Sendable, Equatable {
    /// Passes over every ring (`pollPorts`).
    public var turns: UInt64 = 0
    /// Turns that moved at least one frame.
    public var busyTurns: UInt64 = 0
    /// Frames taken from guest TX rings and uplinks.
    public var frames: UInt64 = 0
    /// Visits to a guest TX ring that found frames.
    public var bursts: UInt64 = 0
    /// Of those, visits after which the ring still held frames the driver had made available.
    public var backloggedBursts: UInt64 = 0
    /// Times the loop went to sleep on the kick eventfds (`idle: sleep` only).
    public var sleeps: UInt64 = 0
    /// How long it now spins on empty turns before sleeping (`IdleSpin`; `idle: sleep` only).
    public var spinWindowNanoseconds: UInt64 = 0
    /// Frames one ring visit takes at most.
    public let burstLimit: Int = BurstScratch.burstSize

    public init() {}
}
