import Virtio

/// How much work and memory one port's guest can make the daemon spend: the `limits:` keys of the
/// config file, resolved for one port (its own overrides over the switch-wide values). Each limit,
/// its default and the drop reason it counts under are in docs/limits.md.
public struct PortLimits: Equatable, Sendable {
    /// Sum of the sizes of the guest memory regions the port may map (SET_MEM_TABLE, ADD_MEM_REG).
    public var maxGuestMemory: UInt64
    /// Descriptors per chain, every one counted (`chain-too-long`).
    public var maxChainDescriptors: Int
    /// Smallest gso_size the switch segments in software for this port's guest (`gso-too-small`).
    public var minMSS: Int
    /// Most frames one GSO frame of this port's guest may be cut into (`too-many-segments`).
    public var maxSegments: Int

    /// 1 TiB: more RAM than nearly any VM served by a software switch has, while one hostile
    /// port can take at most 1/128 of x86-64's 128 TiB user address space (docs/limits.md).
    public static let defaultMaxGuestMemory: UInt64 = 1 << 40
    /// Linux's TCP_MIN_MSS (include/net/tcp.h): the smallest MSS its TCP_MAXSEG accepts
    /// (docs/limits.md: why not TCP_MIN_SND_MSS, 48).
    public static let defaultMinMSS = 88
    /// A 64 KiB GSO frame at an MSS of 256; a sender whose MSS follows from a path MTU of at
    /// least Linux's min_pmtu (552) needs at most 128 (docs/limits.md).
    public static let defaultMaxSegments = 256

    public init(maxGuestMemory: UInt64 = PortLimits.defaultMaxGuestMemory,
                maxChainDescriptors: Int = SplitQueue.Limits.defaultMaxDescriptorsPerChain,
                minMSS: Int = PortLimits.defaultMinMSS, maxSegments: Int = PortLimits.defaultMaxSegments) {
        self.maxGuestMemory = maxGuestMemory
        self.maxChainDescriptors = maxChainDescriptors
        self.minMSS = minMSS
        self.maxSegments = maxSegments
    }

    /// The per-queue bounds for this port's rings: the scratch for translated pieces grows with
    /// the descriptor limit (a descriptor yields at least one piece when it is not empty).
    var queueLimits: SplitQueue.Limits {
        SplitQueue.Limits(maxSegmentsPerChain: max(64, maxChainDescriptors), maxDescriptorsPerChain: maxChainDescriptors)
    }
}
