/// Feature bits of a virtio-net device as exchanged in GET/SET_FEATURES (virtio 1.x numbering,
/// plus the two vhost-only bits 26 and 30 that never reach the guest).
public struct VirtioFeatures: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(bit: Int) { rawValue = 1 << UInt64(bit) }

    // virtio-net device bits
    public static let csum = VirtioFeatures(bit: 0)
    public static let guestCsum = VirtioFeatures(bit: 1)
    public static let ctrlGuestOffloads = VirtioFeatures(bit: 2)
    public static let mtu = VirtioFeatures(bit: 3)
    public static let mac = VirtioFeatures(bit: 5)
    public static let guestTSO4 = VirtioFeatures(bit: 7)
    public static let guestTSO6 = VirtioFeatures(bit: 8)
    public static let guestECN = VirtioFeatures(bit: 9)
    public static let guestUFO = VirtioFeatures(bit: 10)
    public static let hostTSO4 = VirtioFeatures(bit: 11)
    public static let hostTSO6 = VirtioFeatures(bit: 12)
    public static let hostECN = VirtioFeatures(bit: 13)
    public static let hostUFO = VirtioFeatures(bit: 14)
    public static let mergeableRxBuffers = VirtioFeatures(bit: 15)
    public static let status = VirtioFeatures(bit: 16)
    public static let controlQueue = VirtioFeatures(bit: 17)
    public static let controlRx = VirtioFeatures(bit: 18)
    public static let controlVLAN = VirtioFeatures(bit: 19)
    public static let guestAnnounce = VirtioFeatures(bit: 21)
    public static let multiqueue = VirtioFeatures(bit: 22)
    public static let controlMACAddress = VirtioFeatures(bit: 23)

    // generic / transport bits
    public static let notifyOnEmpty = VirtioFeatures(bit: 24)
    public static let anyLayout = VirtioFeatures(bit: 27)
    public static let indirectDescriptors = VirtioFeatures(bit: 28)
    public static let eventIndex = VirtioFeatures(bit: 29)
    public static let version1 = VirtioFeatures(bit: 32)
    public static let accessPlatform = VirtioFeatures(bit: 33)
    public static let ringPacked = VirtioFeatures(bit: 34)
    public static let inOrder = VirtioFeatures(bit: 35)

    // vhost-only bits (reuse bits the virtio spec leaves to the transport)
    /// VHOST_F_LOG_ALL: dirty logging is on (live migration).
    public static let vhostLogAll = VirtioFeatures(bit: 26)
    /// VHOST_USER_F_PROTOCOL_FEATURES: GET/SET_PROTOCOL_FEATURES exist; rings start disabled.
    public static let vhostUserProtocolFeatures = VirtioFeatures(bit: 30)

    /// Size of the virtio-net header in front of every frame on both rings: num_buffers exists
    /// with VERSION_1 or MRG_RXBUF (DPDK also counts RING_PACKED, which implies VERSION_1 anyway).
    @inlinable
    public var netHeaderLength: Int {
        isDisjoint(with: [.version1, .mergeableRxBuffers, .ringPacked])
            ? VirtioNetHeader.legacyLength : VirtioNetHeader.length
    }
}
