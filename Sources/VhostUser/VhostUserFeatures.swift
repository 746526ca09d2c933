import Virtio

extension VirtioFeatures {
    /// What a switch port offers (docs/vhost-user-protocol.md#virtio-features). Checksum and
    /// segmentation offloads both ways: a guest's 64 KB TCP segments cross the switch whole, and the
    /// datapath finishes the job in software only for a receiver that did not negotiate them.
    /// VIRTIO_NET_F_STATUS is left out: it is not in QEMU's vhost-net feature list (QEMU decides it
    /// alone and never passes it in SET_FEATURES) and DPDK virtio-user strips it, so offering it would
    /// change nothing. GUEST_ANNOUNCE is offered so a migrated guest announces itself (it needs
    /// CTRL_VQ, which the front-end handles). IN_ORDER (virtio 1.1 §2.7.9) costs us nothing: every TX
    /// chain is completed within the burst that took it and RX buffers are consumed strictly from the
    /// head of the avail ring, so buffers already come back in the order they were made available. A
    /// driver that takes it (DPDK virtio-user) switches to its in-order paths, which skip the free-list
    /// walk per descriptor; QEMU 7.2 and Linux 6.1 do not know the bit. RING_PACKED (virtio 1.1 §2.8):
    /// a driver that asks for it (QEMU `packed=on`, DPDK virtio-user `packed_vq=1`) gets a
    /// `PackedQueue` per ring (docs/packed-rings.md); others never see a difference. VHOST_F_LOG_ALL:
    /// every write into guest memory is logged while it is acked, for live migration
    /// (docs/dirty-log.md).
    public static let defaultOffer: VirtioFeatures = [
        .version1, .mergeableRxBuffers, .eventIndex, .indirectDescriptors, .anyLayout, .multiqueue, .inOrder,
        .ringPacked,
        .mtu, .guestAnnounce, .vhostUserProtocolFeatures, .vhostLogAll,
        .csum, .guestCsum, .hostTSO4, .hostTSO6, .hostECN, .hostUFO,
        .guestTSO4, .guestTSO6, .guestECN, .guestUFO,
    ]
}

/// vhost-user protocol feature bits (GET/SET_PROTOCOL_FEATURES,
/// docs/vhost-user-protocol.md#protocol-features).
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

    /// What we implement. LOG_SHMFD: the dirty log arrives as a shared fd with SET_LOG_BASE
    /// (docs/dirty-log.md); without it QEMU refuses to migrate the guest.
    public static let defaultOffer: VhostUserProtocolFeatures = [
        .multiqueue, .logSharedMemory, .replyAck, .mtu, .rarp, .configureMemorySlots, .status,
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
