/// `limits:` under `switch:` (every port) and under a port (that port only): how much work and
/// memory one port's guest can make the daemon spend. docs/limits.md gives each limit's default,
/// why, and the drop reason it counts under.
public struct LimitSettings: Equatable, Sendable {
    /// Guest memory a port may map, in bytes (`max-guest-memory`, a size such as `64GiB`).
    public var maxGuestMemory: UInt64
    /// Descriptors per virtqueue chain, zero-length and indirect entries included.
    public var maxChainDescriptors: Int
    /// Smallest gso_size segmented in software for this port's guest.
    public var minMSS: Int
    /// Most frames one GSO frame of this port's guest may be cut into.
    public var maxSegments: Int

    // The same defaults as Datapath's PortLimits (`limitDefaultsMatchTheDatapath` checks it).
    public init(maxGuestMemory: UInt64 = 1 << 40, maxChainDescriptors: Int = 64, minMSS: Int = 88,
                maxSegments: Int = 256) {
        self.maxGuestMemory = maxGuestMemory
        self.maxChainDescriptors = maxChainDescriptors
        self.minMSS = minMSS
        self.maxSegments = maxSegments
    }
}

/// A port's own `limits:`: only the keys it sets, applied over the switch-wide values.
struct LimitOverrides: Equatable, Sendable {
    var maxGuestMemory: UInt64?
    var maxChainDescriptors: Int?
    var minMSS: Int?
    var maxSegments: Int?

    func applied(over base: LimitSettings) -> LimitSettings {
        LimitSettings(maxGuestMemory: maxGuestMemory ?? base.maxGuestMemory,
                      maxChainDescriptors: maxChainDescriptors ?? base.maxChainDescriptors,
                      minMSS: minMSS ?? base.minMSS, maxSegments: maxSegments ?? base.maxSegments)
    }
}
