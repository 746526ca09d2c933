/// virtio-net and vhost feature bits a back-end offers in GET_FEATURES (notes §6.2). Bit numbers,
/// so `1 << bit` values; named apart from the Virtio module's types to keep imports unambiguous.
public struct VhostNetFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    private init(bit: UInt64) { rawValue = 1 << bit }

    public static let csum = VhostNetFeatures(bit: 0)
    public static let guestCsum = VhostNetFeatures(bit: 1)
    public static let mtu = VhostNetFeatures(bit: 3)
    public static let guestTSO4 = VhostNetFeatures(bit: 7)
    public static let guestTSO6 = VhostNetFeatures(bit: 8)
    public static let guestECN = VhostNetFeatures(bit: 9)
    public static let guestUFO = VhostNetFeatures(bit: 10)
    public static let hostTSO4 = VhostNetFeatures(bit: 11)
    public static let hostTSO6 = VhostNetFeatures(bit: 12)
    public static let hostECN = VhostNetFeatures(bit: 13)
    public static let hostUFO = VhostNetFeatures(bit: 14)
    public static let mergeableRxBuffers = VhostNetFeatures(bit: 15)
    public static let status = VhostNetFeatures(bit: 16)
    public static let guestAnnounce = VhostNetFeatures(bit: 21)
    public static let multiqueue = VhostNetFeatures(bit: 22)
    public static let notifyOnEmpty = VhostNetFeatures(bit: 24)
    /// VHOST_F_LOG_ALL: dirty logging active (only with LOG_SHMFD, not offered yet).
    public static let logAll = VhostNetFeatures(bit: 26)
    public static let anyLayout = VhostNetFeatures(bit: 27)
    public static let indirectDescriptors = VhostNetFeatures(bit: 28)
    public static let eventIndex = VhostNetFeatures(bit: 29)
    /// VHOST_USER_F_PROTOCOL_FEATURES: GET/SET_PROTOCOL_FEATURES exist and rings start disabled.
    public static let protocolFeatures = VhostNetFeatures(bit: 30)
    public static let version1 = VhostNetFeatures(bit: 32)
    public static let accessPlatform = VhostNetFeatures(bit: 33)
    public static let ringPacked = VhostNetFeatures(bit: 34)
    public static let inOrder = VhostNetFeatures(bit: 35)

    /// What a plain (no offload) switch port offers. VIRTIO_NET_F_STATUS is left out: it is not in
    /// QEMU's vhost-net feature list (QEMU decides it alone and never passes it in SET_FEATURES) and
    /// DPDK virtio-user strips it, so offering it would change nothing. GUEST_ANNOUNCE is offered so
    /// a migrated guest announces itself (it needs CTRL_VQ, which the front-end handles).
    public static let defaultOffer: VhostNetFeatures = [
        .version1, .mergeableRxBuffers, .eventIndex, .indirectDescriptors, .anyLayout, .multiqueue,
        .mtu, .guestAnnounce, .protocolFeatures,
    ]

    /// The virtio-net header length these features imply (notes §6.1): num_buffers is present with
    /// VERSION_1 or MRG_RXBUF.
    public var netHeaderLength: Int {
        contains(.version1) || contains(.mergeableRxBuffers) ? 12 : 10
    }
}

/// vhost-user protocol feature bits (GET/SET_PROTOCOL_FEATURES, notes §2.2).
public struct VhostUserProtocolFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    private init(bit: UInt64) { rawValue = 1 << bit }

    public static let multiqueue = VhostUserProtocolFeatures(bit: 0)
    public static let logSharedMemory = VhostUserProtocolFeatures(bit: 1)
    public static let rarp = VhostUserProtocolFeatures(bit: 2)
    public static let replyAck = VhostUserProtocolFeatures(bit: 3)
    public static let mtu = VhostUserProtocolFeatures(bit: 4)
    public static let backendRequests = VhostUserProtocolFeatures(bit: 5)
    public static let crossEndian = VhostUserProtocolFeatures(bit: 6)
    public static let config = VhostUserProtocolFeatures(bit: 9)
    public static let inflightSharedMemory = VhostUserProtocolFeatures(bit: 12)
    public static let resetDevice = VhostUserProtocolFeatures(bit: 13)
    public static let inbandNotifications = VhostUserProtocolFeatures(bit: 14)
    public static let configureMemorySlots = VhostUserProtocolFeatures(bit: 15)
    public static let status = VhostUserProtocolFeatures(bit: 16)

    /// What we implement. LOG_SHMFD waits for dirty logging (SET_LOG_BASE); without it QEMU adds a
    /// migration blocker, which is the honest answer until then.
    public static let defaultOffer: VhostUserProtocolFeatures = [
        .multiqueue, .replyAck, .mtu, .rarp, .configureMemorySlots, .status,
    ]
}

/// virtio device status bits (SET/GET_STATUS).
public enum VirtioDeviceStatus {
    public static let acknowledge: UInt8 = 1
    public static let driver: UInt8 = 2
    public static let driverOK: UInt8 = 4
    public static let featuresOK: UInt8 = 8
    public static let needsReset: UInt8 = 64
    public static let failed: UInt8 = 128
}
