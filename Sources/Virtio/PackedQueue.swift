import CSwitchyard
import GuestMemory

/// The device side of one packed virtqueue (virtio 1.1+ §2.8, VIRTIO_F_RING_PACKED), built from
/// pointers the vhost-user layer translated: the descriptor ring and the driver's and device's
/// event suppression areas. Same contract as `SplitQueue` (the `Virtqueue` seam), same limits,
/// and every RX byte stored by `ReceiveCopy` (docs/packed-rings.md).
///
/// Chains are taken strictly in ring order and completed in the same order, each used
/// descriptor written at the slot where its chain began and the used index advanced by the
/// chain's descriptor count: what IN_ORDER asks for, and what lets GET_VRING_BASE report one
/// position for both halves. Guest-written values are distrusted: a malformed chain goes back
/// with length 0 and is counted; a chain that never ends (longer than the ring) or a buffer id
/// outside the ring marks the queue broken (`isBroken`), faulting only this port.
public final class PackedQueue {
    public let size: UInt16
    public let eventIndex: Bool
    public let indirectDescriptors: Bool
    /// VIRTIO_F_IN_ORDER negotiated: a TX burst goes back as one used descriptor (below).
    public let inOrder: Bool
    public let limits: SplitQueue.Limits

    @usableFromInline let ring: UnsafeMutableRawPointer
    /// Written by the driver: when it wants interrupts.
    @usableFromInline let driverEvent: UnsafeMutableRawPointer
    /// Written by us: when we want kicks.
    @usableFromInline let deviceEvent: UnsafeMutableRawPointer
    @usableFromInline let memory: GuestMemoryTable
    @usableFromInline let state: UnsafeMutablePointer<PackedQueueState>
    /// `state.pointee.cursor`, which `reservationWriter` writes through.
    @usableFromInline let cursor: UnsafeMutablePointer<ReservationCursor>
    @usableFromInline let chainStorage: UnsafeMutablePointer<DescriptorChain>
    /// Ring descriptors each chain of the last pop or reservation occupies (what the used index
    /// advances by when it is returned).
    @usableFromInline let ringSpans: UnsafeMutablePointer<UInt16>
    @usableFromInline let segmentStorage: UnsafeMutablePointer<GuestSegment>
    @usableFromInline let indirectCopy: UnsafeMutableRawPointer?
    @usableFromInline let indirectSegments: UnsafeMutablePointer<GuestSegment>
    /// Dirty-page logging (docs/dirty-log.md, "Packed rings"), fixed for the queue's life as for
    /// `SplitQueue`: `dirtyLog` is this queue's log cache over `logArea` (nil: not logging). With
    /// the ring's VHOST_VRING_F_LOG, `ringLogAddress` is the descriptor ring's guest-physical
    /// address (used descriptors are written back there) and `eventLogAddress` the front-end's
    /// `log_guest_addr`, which QEMU sets to the device event area's; nil when not logged.
    @usableFromInline let dirtyLog: UnsafeMutablePointer<csy_dirty_log>?
    let logArea: DirtyLogArea?
    let ringLogAddress: UInt64?
    let eventLogAddress: UInt64?
    /// The used side's progress (`PackedRingProgress`): in the front-end's journal file when the
    /// device keeps one, so a restarted back-end can resume; else our own 16 bytes.
    @usableFromInline let progress: UnsafeMutableRawPointer
    private let ownsProgress: Bool

    /// Nil unless `size` is in 1...32768, the pointers are aligned (`PackedRing.Layout`) and
    /// `limits` are positive. `lastAvailIndex` is the SET_VRING_BASE value: slot in bits 0-14,
    /// the driver's wrap counter in bit 15 (1 for a fresh ring), and must name a slot < size.
    public init?(size: UInt16, descriptors: UnsafeMutableRawPointer, driverEvent: UnsafeMutableRawPointer,
                 deviceEvent: UnsafeMutableRawPointer, memory: GuestMemoryTable, eventIndex: Bool,
                 lastAvailIndex: UInt16, indirectDescriptors: Bool = false, inOrder: Bool = false,
                 limits: SplitQueue.Limits = SplitQueue.Limits(), dirtyLog: DirtyLogArea? = nil,
                 ringLogAddress: UInt64? = nil, eventLogAddress: UInt64? = nil,
                 progressRecord: UnsafeMutableRawPointer? = nil) {
        guard let layout = PackedRing.Layout(queueSize: Int(size)),
              layout.isAligned(descriptors: descriptors, driverEvent: driverEvent, deviceEvent: deviceEvent),
              lastAvailIndex & ~PackedRing.wrapBit < size,
              limits.maxChains > 0, limits.maxSegmentsPerChain > 0, limits.maxTransmitBytes > 0,
              limits.maxDescriptorsPerChain > 0
        else { return nil }
        self.size = size
        ring = descriptors
        self.driverEvent = driverEvent
        self.deviceEvent = deviceEvent
        self.memory = memory
        self.eventIndex = eventIndex
        self.indirectDescriptors = indirectDescriptors
        self.inOrder = inOrder
        self.limits = limits
        state = .allocate(capacity: 1)
        state.initialize(to: PackedQueueState(lastAvail: lastAvailIndex & ~PackedRing.wrapBit,
                                              wrap: lastAvailIndex & PackedRing.wrapBit != 0))
        cursor = (UnsafeMutableRawPointer(state) + MemoryLayout<PackedQueueState>.offset(of: \.cursor)!)
            .assumingMemoryBound(to: ReservationCursor.self)
        let segmentCount = limits.maxChains * limits.maxSegmentsPerChain
        let placeholder = GuestSegment(base: descriptors, length: 0)
        segmentStorage = .allocate(capacity: segmentCount)
        segmentStorage.initialize(repeating: placeholder, count: segmentCount)
        chainStorage = .allocate(capacity: limits.maxChains)
        chainStorage.initialize(repeating: DescriptorChain(head: 0, firstSegment: 0), count: limits.maxChains)
        ringSpans = .allocate(capacity: limits.maxChains)
        ringSpans.initialize(repeating: 0, count: limits.maxChains)
        indirectSegments = .allocate(capacity: SplitQueue.indirectSegmentCapacity)
        indirectSegments.initialize(repeating: placeholder, count: SplitQueue.indirectSegmentCapacity)
        indirectCopy = indirectDescriptors
            ? UnsafeMutableRawPointer.allocate(byteCount: Int(size) * PackedRing.descriptorSize,
                                               alignment: PackedRing.descriptorRingAlignment)
            : nil
        ownsProgress = progressRecord == nil
        progress = progressRecord
            ?? .allocate(byteCount: PackedRingProgress.byteCount, alignment: 8)
        PackedRingProgress.reset(progress, to: lastAvailIndex)
        logArea = dirtyLog
        self.ringLogAddress = dirtyLog == nil ? nil : ringLogAddress
        self.eventLogAddress = dirtyLog == nil ? nil : eventLogAddress
        self.dirtyLog = dirtyLog?.makeCache()
        // RX leaves its one-call fast path, which passes no log (PackedQueueState.stopFlags).
        if dirtyLog != nil { state.pointee.stopFlags |= 2 }
        _ = enableNotifications()
    }

    deinit {
        // A ring stops (GET_VRING_BASE, a fault, a restart) by releasing its queue: descriptors
        // written back since the last publish are marked, and every mark reaches the log before
        // the front-end hears the ring stopped.
        if let dirtyLog {
            logWrittenBack(dirtyLog)
            csy_dirty_log_flush(dirtyLog)
            dirtyLog.deallocate()
        }
        state.deinitialize(count: 1)
        state.deallocate()
        segmentStorage.deallocate()
        chainStorage.deallocate()
        ringSpans.deallocate()
        indirectSegments.deallocate()
        indirectCopy?.deallocate()
        if ownsProgress { progress.deallocate() }
    }

    /// GET_VRING_BASE's value: the next slot to take with the driver's wrap counter in bit 15.
    @inlinable public var lastAvailIndex: UInt16 {
        PackedRing.encode(index: state.pointee.lastAvail, wrap: state.pointee.availWrap)
    }
    /// The next used slot with the used wrap counter in bit 15.
    @inlinable public var usedIndex: UInt16 {
        PackedRing.encode(index: state.pointee.usedIndex, wrap: state.pointee.usedWrap)
    }
    @inlinable public var isBroken: Bool { state.pointee.broken }
    /// Writes to guest memory are being logged (LOG_ALL with a log base; docs/dirty-log.md).
    public var isLogging: Bool { dirtyLog != nil }
    /// A mark fell outside the front-end's log: the queue broke itself; the port faults
    /// (`dirty-log-fault`), as for a split ring.
    public var dirtyLogOutOfBounds: Bool { (dirtyLog?.pointee.out_of_bounds ?? 0) != 0 }
    @inlinable public var notificationsEnabled: Bool { state.pointee.notificationsEnabled }
    /// A packed ring has no index to compare without reading descriptors: 1 when the last pop
    /// stopped at its limit (more may wait), else 0.
    @inlinable public var knownPending: Int { state.pointee.sawMore ? 1 : 0 }
    public var chainWalkCount: Int { state.pointee.chainWalks }

    @inlinable
    public var chains: UnsafeBufferPointer<DescriptorChain> {
        UnsafeBufferPointer(start: chainStorage, count: state.pointee.cursor.chainCount)
    }

    @inlinable
    public func segments(of chain: DescriptorChain) -> UnsafeBufferPointer<GuestSegment> {
        UnsafeBufferPointer(start: segmentStorage + chain.firstSegment, count: chain.segmentCount)
    }

    /// Whether the descriptor at `slot` is available in the driver's lap `wrap` (§2.8.1): AVAIL
    /// equal to the wrap counter, USED not. Acquire: the descriptor's other fields (and, for a
    /// chain, the descriptors after it, which the driver makes available first) are read after it.
    @inlinable @inline(__always)
    func isAvailable(slot: UInt16, wrap: Bool) -> Bool {
        let flags = UInt16(littleEndian: csy_load_acquire_u16(ring + (Int(slot) &* PackedRing.descriptorSize &+ 14)))
        let avail = flags & PackedRing.flagAvail != 0
        let used = flags & PackedRing.flagUsed != 0
        return avail == wrap && used != wrap
    }

    /// `slot` moved on by `count` ring descriptors, flipping `wrap` each time it passes the end.
    @inlinable @inline(__always)
    func advance(_ slot: inout UInt16, _ wrap: inout Bool, by count: UInt16) {
        let next = Int(slot) &+ Int(count)
        if next >= Int(size) {
            slot = UInt16(truncatingIfNeeded: next &- Int(size))
            wrap.toggle()
        } else {
            slot = UInt16(truncatingIfNeeded: next)
        }
    }

    /// With EVENT_IDX and kicks wanted, ask for a kick when the driver makes the descriptor at
    /// our next slot available (device event area in DESC mode).
    @inlinable @inline(__always)
    func updateAvailEvent() {
        guard eventIndex, state.pointee.notificationsEnabled else { return }
        let offWrap = PackedRing.encode(index: state.pointee.lastAvail, wrap: state.pointee.availWrap)
        csy_store_relaxed_u16(deviceEvent, offWrap.littleEndian)
    }
}
