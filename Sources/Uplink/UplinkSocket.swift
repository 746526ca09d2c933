#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import GuestMemory
import LinuxIO
import Virtio

/// The uplink's frame I/O: one AF_PACKET socket bound to the interface with a TPACKET_V3 RX ring
/// that also sends staged batches with sendmmsg, plus a sibling socket for GSO frames. Owned and
/// driven by one engine thread; nothing here locks.
///
/// Both sockets use PACKET_VNET_HDR: received frames come with the kernel's virtio-net header
/// (GRO super-frames keep their GSO info) and transmitted frames take one, so a guest's TSO and
/// checksum-offloaded frames are segmented and checksummed by the kernel (or the NIC).
public final class UplinkSocket {
    public let interfaceIndex: Int32
    public let configuration: UplinkConfiguration
    /// Largest L3 payload accepted by `transmit` without GSO; follow the link's MTU.
    public var mtu: Int
    public internal(set) var counters = UplinkCounters()

    @usableFromInline let socket: OwnedFileDescriptor
    /// Ringless, bound with protocol 0 so it receives nothing: sends GSO frames, through the qdisc.
    let largeFrameSocket: OwnedFileDescriptor
    let ring: MappedRegion

    // RX ring walk (see UplinkSocket+Receive.swift).
    @usableFromInline let receiveBase: UnsafeMutableRawPointer
    @usableFromInline let blockSize: Int
    @usableFromInline let blockCount: Int
    @usableFromInline var currentBlock = 0
    @usableFromInline var blockOpen = false
    @usableFromInline var framesLeftInBlock = 0
    @usableFromInline var nextFrame: UnsafeMutableRawPointer?
    /// Blocks read to the end but still lent to the switch until `releaseBurst`, oldest first.
    @usableFromInline var firstUnreleasedBlock = 0
    @usableFromInline var finishedBlocks = 0

    // Burst scratch: two segments and a 32-byte slot for a rebuilt tagged header per frame.
    @inlinable public static var maximumBurst: Int { 64 }
    @usableFromInline let burstSegments: UnsafeMutablePointer<PacketSegment>
    @usableFromInline let burstSegmentCounts: UnsafeMutablePointer<Int>
    @usableFromInline let burstLengths: UnsafeMutablePointer<Int>
    @usableFromInline let burstHeaders: UnsafeMutablePointer<VirtioNetHeader>
    @usableFromInline let burstTagged: UnsafeMutablePointer<Bool>
    @usableFromInline let burstPrefixes: UnsafeMutableRawPointer
    public internal(set) var burstCount = 0

    // TX staging (see UplinkSocket+Transmit.swift): slot i at stagingBase + i * stagingSlotSize.
    let stagingBase: UnsafeMutableRawPointer
    @usableFromInline let stagingSlotSize: Int
    let stagingCapacity: Int
    let stagedPointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    let stagedLengths: UnsafeMutablePointer<UInt32>
    var stagedCount = 0
    /// iovecs and a virtio-net header for the GSO path.
    let largeFrameVectors: UnsafeMutablePointer<iovec>
    static let largeFrameVectorCapacity = 130
    let largeFrameHeader: UnsafeMutableRawPointer

    /// Opens and binds the sockets and maps the RX ring. `mtu` is the interface's current MTU.
    public init(interfaceIndex: Int32, mtu: Int,
                configuration: UplinkConfiguration = UplinkConfiguration()) throws(UplinkError) {
        try configuration.validate()
        guard interfaceIndex > 0 else { throw UplinkError("open uplink", reason: "invalid ifindex \(interfaceIndex)") }
        guard (68...65535).contains(mtu) else { throw UplinkError("open uplink", reason: "MTU \(mtu) out of range") }
        self.interfaceIndex = interfaceIndex
        self.configuration = configuration
        self.mtu = mtu

        // The virtio-net header, the frame and a VLAN tag, rounded up to a power of two.
        var slot = 2048
        while slot < TPacket.vnetHeaderLength + mtu + 18 { slot <<= 1 }
        stagingSlotSize = slot
        stagingCapacity = configuration.transmitBatchCapacity
        blockSize = configuration.blockSize
        blockCount = configuration.blockCount

        socket = try Self.openPacketSocket()
        largeFrameSocket = try Self.openPacketSocket()
        let receiveBytes = configuration.blockSize * configuration.blockCount
        let fd = socket.rawValue
        try Self.setOption(fd, PACKET_VERSION, Int32(TPACKET_V3.rawValue), "PACKET_VERSION")
        try Self.setOption(fd, PACKET_VNET_HDR, Int32(1), "PACKET_VNET_HDR")
        var rx = tpacket_req3(tp_block_size: UInt32(configuration.blockSize),
                              tp_block_nr: UInt32(configuration.blockCount),
                              tp_frame_size: UInt32(2048),
                              tp_frame_nr: UInt32(configuration.blockSize / 2048 * configuration.blockCount),
                              tp_retire_blk_tov: configuration.blockTimeoutMilliseconds,
                              tp_sizeof_priv: 0, tp_feature_req_word: 0)
        try Self.setOption(fd, PACKET_RX_RING, &rx, "PACKET_RX_RING")
        do {
            ring = try MappedRegion(descriptor: fd, length: receiveBytes)
        } catch {
            throw UplinkError("mmap packet ring", errno: error)
        }
        receiveBase = ring.base

        try Self.setOption(fd, PACKET_IGNORE_OUTGOING, Int32(1), "PACKET_IGNORE_OUTGOING")
        let large = largeFrameSocket.rawValue
        try Self.setOption(large, PACKET_VNET_HDR, Int32(1), "PACKET_VNET_HDR")
        // Never on the GSO socket: the bypass path (__dev_direct_xmit) drops any skb that
        // validate_xmit_skb replaced, i.e. every frame the kernel had to segment in software.
        if configuration.bypassQdisc {
            try Self.setOption(fd, PACKET_QDISC_BYPASS, Int32(1), "PACKET_QDISC_BYPASS")
        }
        // Bind last: only now, with the ring in place, does the kernel start handing us frames.
        try Self.bind(fd, interfaceIndex: interfaceIndex, etherType: UInt16(ETH_P_ALL))
        try Self.bind(large, interfaceIndex: interfaceIndex, etherType: 0)

        let n = Self.maximumBurst
        burstSegments = .allocate(capacity: 2 * n)
        burstSegmentCounts = .allocate(capacity: n)
        burstLengths = .allocate(capacity: n)
        burstHeaders = .allocate(capacity: n)
        burstTagged = .allocate(capacity: n)
        burstPrefixes = .allocate(byteCount: 32 * n, alignment: 32)
        stagingBase = .allocate(byteCount: slot * stagingCapacity, alignment: 4096)
        stagedPointers = .allocate(capacity: stagingCapacity)
        stagedLengths = .allocate(capacity: stagingCapacity)
        for i in 0..<stagingCapacity { stagedPointers[i] = stagingBase + i * slot }
        largeFrameVectors = .allocate(capacity: Self.largeFrameVectorCapacity)
        largeFrameHeader = .allocate(byteCount: 16, alignment: 16)
    }

    deinit {
        burstSegments.deallocate()
        burstSegmentCounts.deallocate()
        burstLengths.deallocate()
        burstHeaders.deallocate()
        burstTagged.deallocate()
        burstPrefixes.deallocate()
        stagingBase.deallocate()
        stagedPointers.deallocate()
        stagedLengths.deallocate()
        largeFrameVectors.deallocate()
        largeFrameHeader.deallocate()
    }

    /// Readable (EPOLLIN) while a retired RX block waits for us; put it in the engine's epoll to
    /// sleep when idle. EPOLLERR means the interface went down: call `clearPendingError()`.
    public var fileDescriptor: Int32 { socket.rawValue }

    /// Reads and clears the socket's pending error (ENETDOWN after the interface went
    /// administratively down), so a level-triggered epoll stops reporting it. Nil if none.
    @discardableResult
    public func clearPendingError() -> Errno? {
        var first: Errno?
        for fd in [socket.rawValue, largeFrameSocket.rawValue] {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0, value != 0, first == nil {
                first = Errno(value)
            }
        }
        return first
    }
}
