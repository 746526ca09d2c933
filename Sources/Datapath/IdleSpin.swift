/// How long the loop keeps polling empty rings before it sleeps on the kick eventfds
/// (`idle: sleep`). Spinning avoids a sleep and a wake-up when the next frame is close; on a host
/// where the guests share the switch's CPUs it also takes CPU from those guests, so a spin that
/// does not catch the next frame is a loss. The window adapts the way KVM's halt polling does
/// (virt/kvm/kvm_main.c): an idle period that ended within the window needs no change; one that
/// ended after it but within `maximum` would have been caught by a longer spin (grow); one that
/// lasted longer than `maximum` means spinning only burnt CPU (shrink). A steady stream with short
/// gaps therefore polls, and traffic with gaps longer than `maximum` (a TCP stream between two
/// guests on a loaded host, say) sleeps at once and is woken by kicks.
public struct IdleSpin: Sendable, Equatable {
    /// The longest window: the kernel's suggested busy-poll time (net.bridge.busy_poll = 50 µs).
    public static let maximumNanoseconds: UInt64 = 50_000
    /// The first non-zero window, and the floor below which a shrinking window drops to zero.
    public static let growStartNanoseconds: UInt64 = 5_000

    /// Spin this long after the first empty turn, then sleep. Starts at zero: grown by use.
    public private(set) var windowNanoseconds: UInt64 = 0

    public init() {}

    /// An idle period (first empty turn to the turn that found work) lasted `idle` ns.
    public mutating func idleEnded(afterNanoseconds idle: UInt64) {
        if idle <= windowNanoseconds { return }
        if idle > Self.maximumNanoseconds {
            windowNanoseconds /= 2
            if windowNanoseconds < Self.growStartNanoseconds { windowNanoseconds = 0 }
        } else {
            windowNanoseconds = min(Self.maximumNanoseconds, max(Self.growStartNanoseconds, windowNanoseconds &* 2))
        }
    }

    /// Whether an idle period that began `elapsed` ns ago has spun long enough.
    @inline(__always)
    public func shouldSleep(afterNanoseconds elapsed: UInt64) -> Bool { elapsed >= windowNanoseconds }
}
