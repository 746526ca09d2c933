import Virtio
import GuestMemory
import LinuxIO

/// Everything the datapath needs to serve one ring, handed over when the ring becomes runnable
/// (kick installed, addresses translated, enabled). Valid until the matching `ringStopping`.
public struct RingConfiguration {
    /// Virtqueue index: even = receiveq (we write into the guest), odd = transmitq (we read).
    public let index: Int
    /// Number of entries; a power of two, 1...32768.
    public let size: Int
    /// Our pointers to the descriptor table (16·size bytes), available ring (4 + 2·size, + 2 with
    /// event idx) and used ring (4 + 8·size, + 2 with event idx), each checked to lie inside one
    /// mapped region. Guest-written content is still untrusted. With VIRTIO_F_RING_PACKED in
    /// `features` they are the packed ring (16·size), the driver event area and the device event
    /// area (4 bytes each), and `nextAvailableIndex` carries the wrap counter in bit 15
    /// (docs/packed-rings.md).
    public let descriptorTable: UnsafeMutableRawPointer
    public let availableRing: UnsafeMutableRawPointer
    public let usedRing: UnsafeMutableRawPointer
    /// The next available-ring index to process. Already resynchronised: when the front-end's base
    /// disagrees with the used index in guest memory (a reconnect after a crash: QEMU sends the used
    /// index, DPDK sends 0), this is the used index, like DPDK and libvhost-user do.
    public let nextAvailableIndex: UInt16
    /// `used->idx` as read from guest memory when the ring started.
    public let usedIndex: UInt16
    /// nil: the front-end sent NOFD, poll the ring (no kicks will come).
    public let kick: EventFD?
    /// nil: the front-end polls (NOFD) or sent no call fd yet: never signal.
    public let call: EventFD?
    /// VIRTIO_RING_F_EVENT_IDX negotiated: use used_event/avail_event instead of the flags.
    public let eventIndex: Bool
    /// virtio-net header length, 10 or 12 (docs/vhost-user-protocol.md#net-header-length).
    public let netHeaderLength: Int
    public let mergeableRxBuffers: Bool
    /// All features the driver acked (the datapath decides offload paths from these once).
    public let features: VirtioFeatures
    /// The device's guest memory, for descriptor GPAs. Never mutated while the ring is started:
    /// a memory change stops every ring first.
    public let memory: GuestMemoryTable
    /// Dirty-page logging (docs/dirty-log.md): the log while LOG_ALL is acked and SET_LOG_BASE gave
    /// one, else nil; and the used ring's log address when SET_VRING_ADDR set VHOST_VRING_F_LOG.
    public let dirtyLog: DirtyLogArea?
    public let usedLogAddress: UInt64?
    /// A packed ring's progress record in the port's journal file (`PackedQueue(progressRecord:)`),
    /// nil without a journal or for a split ring.
    public let progressRecord: UnsafeMutableRawPointer?

    public var isReceiveQueue: Bool { index % 2 == 0 }
    public var queuePair: Int { index / 2 }
}

/// The seam between the vhost-user control path and the datapath engine. All calls come from the
/// thread that calls `VhostUserEndpoint.handle(events:)` (the engine itself, between bursts), so an
/// implementation needs no locks.
///
/// Call order guarantees:
/// * Per ring, `ringStarted` and `ringStopping` strictly alternate, starting with `ringStarted`.
///   Any change to a started ring (new kick or call fd, new addresses, disable, RESET_OWNER) is
///   delivered as `ringStopping` followed, if the ring is still runnable, by `ringStarted` with the
///   index `ringStopping` returned.
/// * A memory table change (SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG) is:
///   `memoryWillChange` → `ringStopping` for every started ring → (table changes; old pointers
///   die here) → `memoryDidChange` → `ringStarted` for every ring that is runnable in the new table.
/// * Disconnect: `ringStopping` for every started ring (return value ignored) → `deviceDisconnected`
///   → the memory is unmapped and all fds closed after `deviceDisconnected` returns.
/// * `sendRARP` may come at any time while connected.
public protocol VhostUserDeviceDelegate: AnyObject {
    /// A front-end connected (before any message of it is processed).
    func deviceConnected(device: VhostUserDevice)
    /// Start serving the ring. The engine should process it at once (buffers may be waiting).
    func ringStarted(device: VhostUserDevice, index: Int, configuration: RingConfiguration)
    /// Stop touching the ring: complete (mark used) every chain already popped, drop the pointers
    /// and the fds, and return the next available index to process (the driver's last_avail_idx),
    /// which GET_VRING_BASE reports and a restart resumes from.
    func ringStopping(device: VhostUserDevice, index: Int) -> UInt16
    func memoryWillChange(device: VhostUserDevice)
    func memoryDidChange(device: VhostUserDevice)
    /// The connection is gone; no ring of this device is started any more.
    func deviceDisconnected(device: VhostUserDevice)
    /// SEND_RARP: broadcast a RARP frame from `mac` as if the guest had sent it
    /// (docs/vhost-user-protocol.md#rarp-after-migration).
    func sendRARP(device: VhostUserDevice, mac: [UInt8])
    /// REM_MEM_REG took away memory that these running rings lie in: they stayed stopped after the
    /// change (docs/memory-hotplug-and-reconnect.md#removing-memory-under-a-ring). Comes after the
    /// change's `ringStarted` calls for the rings that could start.
    func ringsLostMemory(device: VhostUserDevice, rings: [Int])
}

extension VhostUserDeviceDelegate {
    public func deviceConnected(device: VhostUserDevice) {}
    public func memoryWillChange(device: VhostUserDevice) {}
    public func memoryDidChange(device: VhostUserDevice) {}
    public func sendRARP(device: VhostUserDevice, mac: [UInt8]) {}
    public func ringsLostMemory(device: VhostUserDevice, rings: [Int]) {}
}
