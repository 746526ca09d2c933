import CSwitchyard
import GuestMemory

/// The device side of one split virtqueue, built from ring pointers already translated by the
/// vhost-user layer. One thread drives a queue at a time; nothing here allocates, locks or logs
/// after `init`.
///
/// TX (device reads): `popAvailable(maxChains:)` → `chains` / `segments(of:)` → `pushUsed(head:length: 0)`
/// per chain → `publishUsed()` once per burst → `needsNotification()`.
/// RX (device writes): per frame `reserve(bytes:mergeable:)` → `writeFrame(...)` → `commitReservation()`
/// (or `receiveFrame(...)`, the three in one call); then `publishUsed()` once per burst → `needsNotification()`.
/// Every RX byte is stored by `ReceiveCopy` (docs/rx-copy.md).
///
/// Guest indices and descriptors are distrusted: a malformed chain is reported per chain, and
/// impossible ring indices mark the queue broken (`isBroken`), after which it does nothing.
/// A queue holds raw pointers into `memory`: rebuild it after any change to the memory table.
public final class SplitQueue {
    /// Per-queue bounds on the work one call may do; sized once, allocated in `init`.
    public struct Limits: Sendable {
        /// Chains one `popAvailable` may return, and RX buffers one frame may take.
        public var maxChains: Int
        public var maxSegmentsPerChain: Int
        /// Largest TX chain (header + frame): a 64 KiB GSO packet, an Ethernet header with one
        /// VLAN tag, and the 12-byte virtio-net header.
        public var maxTransmitBytes: Int
        /// Descriptors one chain may have, every one counted (zero-length ones, the INDIRECT
        /// descriptor and its table's entries): bounds the walk a guest can make us do per chain
        /// (docs/limits.md, `max-chain-descriptors`).
        public var maxDescriptorsPerChain: Int

        public init(maxChains: Int = 64, maxSegmentsPerChain: Int = 64, maxTransmitBytes: Int = 12 + 18 + 65_535,
                    maxDescriptorsPerChain: Int = Limits.defaultMaxDescriptorsPerChain) {
            self.maxChains = maxChains
            self.maxSegmentsPerChain = maxSegmentsPerChain
            self.maxTransmitBytes = maxTransmitBytes
            self.maxDescriptorsPerChain = maxDescriptorsPerChain
        }

        /// Linux sends at most MAX_SKB_FRAGS + 2 descriptors per frame (19 by default, 47 with
        /// CONFIG_MAX_SKB_FRAGS=45), plus one INDIRECT descriptor; 64 leaves room (docs/limits.md).
        public static let defaultMaxDescriptorsPerChain = 64
    }

    public let size: UInt16
    public let eventIndex: Bool
    public let indirectDescriptors: Bool
    public let limits: Limits

    @usableFromInline let mask: UInt16
    @usableFromInline let descriptors: UnsafeMutableRawPointer
    @usableFromInline let avail: UnsafeMutableRawPointer
    @usableFromInline let used: UnsafeMutableRawPointer
    @usableFromInline let memory: GuestMemoryTable
    @usableFromInline let state: UnsafeMutablePointer<SplitQueueState>
    /// `state.pointee.cursor`, which `reservationWriter` writes through.
    @usableFromInline let cursor: UnsafeMutablePointer<ReservationCursor>
    @usableFromInline let chainStorage: UnsafeMutablePointer<DescriptorChain>
    @usableFromInline let segmentStorage: UnsafeMutablePointer<GuestSegment>
    /// Indirect tables are copied here before use: the copy cannot change under us, and a table
    /// that straddles two regions becomes contiguous. Nil unless INDIRECT_DESC was negotiated.
    @usableFromInline let indirectCopy: UnsafeMutableRawPointer?
    @usableFromInline static let indirectSegmentCapacity = 8
    @usableFromInline let indirectSegments: UnsafeMutablePointer<GuestSegment>
    /// Dirty-page logging (docs/dirty-log.md), fixed for the queue's life: the device restarts a
    /// ring when LOG_ALL, the log or the ring's log flag change. `dirtyLog` is this queue's log
    /// cache over `logArea` (nil: not logging); `usedLogAddress` the used ring's log address
    /// (SET_VRING_ADDR with VHOST_VRING_F_LOG), nil when the ring's used writes are not logged.
    @usableFromInline let dirtyLog: UnsafeMutablePointer<csy_dirty_log>?
    let logArea: DirtyLogArea?
    let usedLogAddress: UInt64?

    /// Nil if `size` is not a power of two in 1...32768, a ring pointer is misaligned for its
    /// part (the index atomics need natural alignment; both checked by `SplitRing.Layout`), or
    /// `limits` are not positive. The pointers must each cover their part's bytes (`Layout`).
    /// `used.idx` is taken from guest memory (it survives reconnects); `lastAvailIndex` comes from
    /// SET_VRING_BASE. Starts with notifications enabled.
    public init?(size: UInt16, descriptors: UnsafeMutableRawPointer, avail: UnsafeMutableRawPointer,
                 used: UnsafeMutableRawPointer, memory: GuestMemoryTable, eventIndex: Bool,
                 lastAvailIndex: UInt16, indirectDescriptors: Bool = false, limits: Limits = Limits(),
                 dirtyLog: DirtyLogArea? = nil, usedLogAddress: UInt64? = nil) {
        guard let layout = SplitRing.Layout(queueSize: Int(size), eventIndex: eventIndex),
              layout.isAligned(descriptors: descriptors, avail: avail, used: used),
              limits.maxChains > 0, limits.maxSegmentsPerChain > 0, limits.maxTransmitBytes > 0,
              limits.maxDescriptorsPerChain > 0
        else { return nil }
        self.size = size
        mask = size &- 1
        self.descriptors = descriptors
        self.avail = avail
        self.used = used
        self.memory = memory
        self.eventIndex = eventIndex
        self.indirectDescriptors = indirectDescriptors
        self.limits = limits

        let usedIdx = UInt16(littleEndian: csy_load_acquire_u16(used + 2))
        state = .allocate(capacity: 1)
        state.initialize(to: SplitQueueState(lastAvail: lastAvailIndex, used: usedIdx))
        cursor = (UnsafeMutableRawPointer(state) + MemoryLayout<SplitQueueState>.offset(of: \.cursor)!)
            .assumingMemoryBound(to: ReservationCursor.self)

        let segmentCount = limits.maxChains * limits.maxSegmentsPerChain
        segmentStorage = .allocate(capacity: segmentCount)
        let placeholder = GuestSegment(base: used, length: 0)
        segmentStorage.initialize(repeating: placeholder, count: segmentCount)
        chainStorage = .allocate(capacity: limits.maxChains)
        chainStorage.initialize(repeating: DescriptorChain(head: 0, firstSegment: 0), count: limits.maxChains)
        indirectSegments = .allocate(capacity: Self.indirectSegmentCapacity)
        indirectSegments.initialize(repeating: placeholder, count: Self.indirectSegmentCapacity)
        indirectCopy = indirectDescriptors
            ? UnsafeMutableRawPointer.allocate(byteCount: Int(size) * SplitRing.descriptorSize,
                                               alignment: SplitRing.descriptorTableAlignment)
            : nil
        logArea = dirtyLog
        self.usedLogAddress = dirtyLog == nil ? nil : usedLogAddress
        self.dirtyLog = dirtyLog?.makeCache()
        // RX leaves its fast path, whose writes are not logged (SplitQueueState.stopFlags).
        if dirtyLog != nil { state.pointee.stopFlags |= 2 }
        _ = enableNotifications()
    }

    deinit {
        // A ring stops (GET_VRING_BASE, a fault, a restart) by releasing its queue: marks still in
        // the cache reach the log before the front-end hears the ring stopped.
        if let dirtyLog {
            csy_dirty_log_flush(dirtyLog)
            dirtyLog.deallocate()
        }
        state.deinitialize(count: 1)
        state.deallocate()
        segmentStorage.deallocate()
        chainStorage.deallocate()
        indirectSegments.deallocate()
        indirectCopy?.deallocate()
    }

    /// Next avail slot to consume: the value GET_VRING_BASE must report.
    @inlinable public var lastAvailIndex: UInt16 { state.pointee.lastAvail }
    /// Next used slot this queue will fill (published to the guest by `publishUsed()`).
    @inlinable public var usedIndex: UInt16 { state.pointee.usedIndex }
    /// The guest moved avail.idx impossibly far (or its front-end's dirty log was too small): the
    /// queue stopped touching the ring.
    @inlinable public var isBroken: Bool { state.pointee.broken }
    /// Writes to guest memory are being logged (LOG_ALL with a log base; docs/dirty-log.md).
    public var isLogging: Bool { dirtyLog != nil }
    /// A mark fell outside the front-end's log (a log smaller than its memory, a used-ring log
    /// address past its end): the queue broke itself; the port faults (`dirty-log-fault`).
    public var dirtyLogOutOfBounds: Bool { (dirtyLog?.pointee.out_of_bounds ?? 0) != 0 }
    @inlinable public var notificationsEnabled: Bool { state.pointee.notificationsEnabled }
    /// Chains the driver had made available, at the last read of avail.idx, that are not yet
    /// taken: a cheap sign of backlog (no new read of guest memory).
    @inlinable public var knownPending: Int { Int(state.pointee.cachedAvail &- state.pointee.lastAvail) }
    /// General chain walks so far (`walkChain`; not the one-descriptor fast paths): lets tests
    /// see that a remembered "no room" spares the walk (docs/limits.md).
    public var chainWalkCount: Int { state.pointee.chainWalks }

    /// The chains from the last `popAvailable` or `reserve`, valid until the next of either.
    @inlinable
    public var chains: UnsafeBufferPointer<DescriptorChain> {
        UnsafeBufferPointer(start: chainStorage, count: state.pointee.cursor.chainCount)
    }

    /// The translated pieces of `chain`, in chain order (our pointers into guest memory).
    @inlinable
    public func segments(of chain: DescriptorChain) -> UnsafeBufferPointer<GuestSegment> {
        UnsafeBufferPointer(start: segmentStorage + chain.firstSegment, count: chain.segmentCount)
    }

    /// Reconnect resync (docs/vhost-user-protocol.md#disconnect-and-reconnect): a front-end that
    /// lost our state re-sends the base it guessed, but buffers it made available and we never
    /// marked used must be processed again, so trust used.idx in guest memory. Returns true if
    /// lastAvail moved.
    @discardableResult
    public func resyncWithUsedIndex() -> Bool {
        let usedIdx = UInt16(littleEndian: csy_load_acquire_u16(used + 2))
        let s = state
        s.pointee.usedIndex = usedIdx
        s.pointee.publishedUsed = usedIdx
        s.pointee.signalledUsedValid = false
        s.pointee.cursor.clear()
        // A reset driver may have rewritten the chains behind the same indices.
        s.pointee.noRoomValid = false
        guard s.pointee.lastAvail != usedIdx else { return false }
        s.pointee.lastAvail = usedIdx
        s.pointee.cachedAvail = usedIdx
        return true
    }

    /// Re-reads avail.idx (acquire: ring entries and descriptors are read after it). Returns false
    /// and marks the queue broken if the guest claims more new entries than the ring holds.
    @usableFromInline
    func refreshAvailIndex() -> Bool {
        let availIdx = UInt16(littleEndian: csy_load_acquire_u16(avail + 2))
        guard availIdx &- state.pointee.lastAvail <= size else {
            state.pointee.broken = true
            return false
        }
        state.pointee.cachedAvail = availIdx
        return true
    }

    /// Head index stored in avail ring slot `index`.
    @inlinable
    func availRingEntry(_ index: UInt16) -> UInt16 {
        UInt16(littleEndian: avail.load(fromByteOffset: 4 + 2 * Int(index & mask), as: UInt16.self))
    }

    /// With EVENT_IDX and notifications on, ask for a kick when the driver adds past what we took.
    @inlinable @inline(__always)
    func updateAvailEvent() {
        guard eventIndex, state.pointee.notificationsEnabled else { return }
        csy_store_relaxed_u16(used + SplitRing.availEventOffset(queueSize: Int(size)), state.pointee.lastAvail.littleEndian)
    }
}
