import Virtio
import GuestMemory
import LinuxIO
import Logging

/// One virtio-net device as a vhost-user back-end: negotiation, memory table, ring lifecycle.
/// It consumes validated messages (from `VhostUserEndpoint`) and tells its delegate — the datapath
/// — when rings start and stop. Not thread-safe by design: the engine thread owns it.
public final class VhostUserDevice {
    public struct Configuration: Sendable {
        /// The most queue pairs the front-end may use: GET_QUEUE_NUM answers it, and the device has
        /// 2·queuePairs ring records. Rings of pairs the front-end never sets up or enables never
        /// start (docs/vhost-user-protocol.md#queue-pairs).
        public var queuePairs: Int
        /// virtio features offered in GET_FEATURES (bit 30 is always added; MQ only with more than
        /// one queue pair).
        public var features: VirtioFeatures
        public var protocolFeatures: VhostUserProtocolFeatures
        /// GET_MAX_MEM_SLOTS; also the region capacity of the memory table.
        public var maxMemorySlots: Int
        /// NET_SET_MTU values accepted (DPDK's range).
        public var mtuRange: ClosedRange<Int>
        /// The SIGBUS guard's owner id for this device's guest memory: whose port a fault breaks
        /// (docs/port-faults.md). 0: nobody's (the fault is still survived).
        public var memoryGuardOwner: UInt64 = 0
        /// Most guest memory (sum of region sizes) the device maps; more is refused before any
        /// mmap (docs/limits.md, `max-guest-memory`).
        public var maxGuestMemory: UInt64

        public init(queuePairs: Int = 1, features: VirtioFeatures = .defaultOffer,
                    protocolFeatures: VhostUserProtocolFeatures = .defaultOffer,
                    maxMemorySlots: Int = GuestMemoryTable.defaultMaxRegions, mtuRange: ClosedRange<Int> = 68...65535,
                    maxGuestMemory: UInt64 = 1 << 40) {
            // 128 pairs: the vring index travels in 8 bits in SET_VRING_KICK/CALL/ERR (256 rings).
            self.queuePairs = min(max(queuePairs, 1), 128)
            // With one pair, no MQ: QEMU then hides it from the guest, and DPDK virtio-user falls
            // back to one pair instead of setting up rings we would refuse.
            var offer = features.union(.vhostUserProtocolFeatures)
            if self.queuePairs == 1 { offer.remove(.multiqueue) }
            self.features = offer
            self.protocolFeatures = protocolFeatures
            self.maxMemorySlots = max(maxMemorySlots, VhostUserCodec.maxRegionsPerTable)
            self.mtuRange = mtuRange
            self.maxGuestMemory = maxGuestMemory
        }
    }

    /// What the endpoint does after a message.
    public enum Response: Equatable {
        case none
        case reply([UInt8])
        /// Close the connection (the message was a protocol violation we cannot answer).
        case close(reason: String)
    }

    public let name: String
    public internal(set) var configuration: Configuration
    public weak var delegate: VhostUserDeviceDelegate?
    public var logger: Logger

    public internal(set) var isConnected = false
    public internal(set) var ackedFeatures: VirtioFeatures = []
    var featuresAcked = false
    var featuresRejected = false
    public internal(set) var protocolFeatures: VhostUserProtocolFeatures = []
    public internal(set) var status: UInt8 = 0
    public internal(set) var mtu: Int?
    /// Guest RAM of the connected front-end. Replaced by SET_MEM_TABLE (the old table is emptied,
    /// i.e. unmapped, at once, even if someone still holds a reference).
    public internal(set) var memory: GuestMemoryTable
    /// ADD_MEM_REG references per region (see `addRegion`).
    var regionReferences: [RegionKey: Int] = [:]
    /// Memory tables and regions refused for exceeding `configuration.maxGuestMemory`.
    public internal(set) var memoryLimitRefusals = 0
    var rings: [VhostUserRing]
    /// The dirty log from SET_LOG_BASE (docs/dirty-log.md); rings log into it while LOG_ALL is acked.
    public internal(set) var dirtyLog: DirtyLogArea?
    /// SET_LOG_BASE messages refused (no fd, a log we cannot map): tests and diagnostics.
    public internal(set) var logRefusals = 0
    /// Explains a front-end that leaves after learning the queue-pair limit (VhostUserDevice+QueueLimit.swift).
    var queueLimitWatch = QueueLimitWatch()
    /// Where packed rings record their progress across a restart of the daemon (set by the owner;
    /// nil: no record, packed rings resume from the front-end's base).
    public var ringJournal: PackedRingJournal?
    /// The process connected now, when its identity could be read (the journal's key).
    public internal(set) var frontEnd: PackedRingJournal.FrontEnd?

    public init(name: String, configuration: Configuration = Configuration(),
                delegate: VhostUserDeviceDelegate? = nil, logger: Logger? = nil) {
        self.name = name
        self.configuration = configuration
        self.delegate = delegate
        var log = logger ?? Logger(label: "switchyard.vhost-user")
        log[metadataKey: "port"] = "\(name)"
        self.logger = log
        memory = GuestMemoryTable(maxRegions: configuration.maxMemorySlots, guardOwner: configuration.memoryGuardOwner)
        rings = Array(repeating: VhostUserRing(), count: 2 * configuration.queuePairs)
    }

    public var ringCount: Int { rings.count }

    /// The header length and ring options follow from the acked features
    /// (docs/vhost-user-protocol.md#net-header-length).
    public var netHeaderLength: Int { ackedFeatures.netHeaderLength }

    /// Handles one request and says what to send back. Implements the reply rules of
    /// docs/vhost-user-protocol.md#replies: requests that always reply answer with their payload;
    /// others get a REPLY_ACK u64 (0 = done) when asked for one and REPLY_ACK is negotiated. A request
    /// we must refuse is nacked when the front-end asked for an ack; otherwise the connection closes,
    /// because the front-end would go on believing in a state we do not have.
    public func handle(_ message: VhostUserMessage) -> Response {
        var message = message
        let code = message.code
        let result = dispatch(&message)
        // Whatever the handler did not take (an fd on a refused or ignored request) closes here.
        message.descriptors.forEach { $0.close() }
        let alwaysReplies = message.request?.alwaysReplies ?? false
        let ackWanted = message.needsReply && protocolFeatures.contains(.replyAck)
        switch result {
        case .reply(let payload):
            return .reply(VhostUserCodec.encodeReply(to: code, payload: payload))
        case .done:
            return ackWanted && !alwaysReplies ? .reply(VhostUserCodec.encodeReply(to: code, payload: .u64(0))) : .none
        case .refused(let reason):
            if ackWanted && !alwaysReplies {
                logger.warning("refused \(requestName(code)): \(reason)")
                return .reply(VhostUserCodec.encodeReply(to: code, payload: .u64(1)))
            }
            return .close(reason: "\(requestName(code)): \(reason)")
        }
    }

    enum HandlerResult {
        case done
        case reply(VhostUserPayload)
        case refused(String)
    }

    private func dispatch(_ m: inout VhostUserMessage) -> HandlerResult {
        guard let request = m.request else { return .refused("unknown request code") }
        switch (request, m.payload) {
        case (.getFeatures, _): return .reply(.u64(configuration.features.rawValue))
        case (.setFeatures, .u64(let v)): return setFeatures(v)
        case (.setOwner, _): return .done
        case (.resetOwner, _): return resetOwner()
        case (.getProtocolFeatures, _): return .reply(.u64(configuration.protocolFeatures.rawValue))
        case (.setProtocolFeatures, .u64(let v)): return setProtocolFeatures(v)
        case (.getQueueNum, _): return answerQueueCount()
        case (.getMaxMemSlots, _): return .reply(.u64(UInt64(configuration.maxMemorySlots)))
        case (.setMemTable, .memoryTable(let regions)): return setMemoryTable(regions, &m)
        case (.addMemReg, .singleRegion(let region)): return addRegion(region, &m)
        case (.remMemReg, .singleRegion(let region)): return removeRegion(region)
        case (.setVringNum, .vringState(let s)): return setRingSize(s)
        case (.setVringAddr, .vringAddress(let a)): return setRingAddress(a)
        case (.setVringBase, .vringState(let s)): return setRingBase(s)
        case (.getVringBase, .vringState(let s)): return getRingBase(s)
        case (.setVringKick, .u64(let v)), (.setVringCall, .u64(let v)), (.setVringErr, .u64(let v)):
            return setRingNotifier(request, v, &m)
        case (.setVringEnable, .vringState(let s)): return setRingEnabled(s)
        case (.netSetMTU, .u64(let v)): return setMTU(v)
        case (.sendRARP, .u64(let v)): return sendRARP(v)
        case (.setLogBase, .log(let area)): return setLogBase(area, &m)
        case (.setLogFd, _): return setLogFD(&m)
        case (.setStatus, .u64(let v)): return setStatus(v)
        case (.getStatus, _): return .reply(.u64(UInt64(reportedStatus)))
        default:
            // Everything else belongs to features we never offer (logging, config space, inflight,
            // backend channel, postcopy, ...).
            return .refused("not supported by this back-end")
        }
    }
}
