import Virtio

/// A guest virtqueue as the engine reaches it, by ring format: one case per concrete
/// `Virtqueue` type. The engine switches on it once per burst (TX) or per delivered frame (RX)
/// and runs generic code specialized for the concrete queue, as DPDK's `virtio_dev_rx` picks
/// split or packed once (docs/hot-path.md, "Port table and ring seam"). Unmanaged: the owning
/// `VhostPort` keeps the queue alive (`GuestRing.Owned`) and rebuilds every list that names it
/// when the ring starts or stops.
///
/// Each format has a case in `Format`, an initializer, an `Owned.init` and an `EngineVirtqueue`
/// conformance, a branch in `queue`, `Engine.pollGuestRing` (cold for packed),
/// `Engine.deliverWithoutSplitRing` (a port's RX rings are all of one format:
/// `VhostPort.receiveTarget` finds split ones only) and `Engine.flushGuestRing`, and its
/// construction in `VhostPort.makeQueue` (docs/packed-rings.md).
///
/// Represented as the queue's address with bit 0 set for a packed ring (objects are at least
/// 16-byte aligned): a split ring is then the bare pointer, used as it is, where a two-payload
/// enum masked its tag bits off at every use (docs/packed-rings.md, "Cost"). `format` gives the
/// exhaustive switch.
struct GuestRing {
    let tagged: UnsafeMutableRawPointer

    /// One case per ring format: what the engine switches on.
    enum Format {
        case split(Unmanaged<SplitQueue>)
        /// VIRTIO_F_RING_PACKED (virtio 1.1 §2.8).
        case packed(Unmanaged<PackedQueue>)
    }

    @inline(__always) init(_ queue: SplitQueue) { tagged = Unmanaged.passUnretained(queue).toOpaque() }
    @inline(__always) init(_ queue: PackedQueue) { tagged = Unmanaged.passUnretained(queue).toOpaque() + 1 }

    var isPacked: Bool { @inline(__always) get { UInt(bitPattern: tagged) & 1 != 0 } }

    /// The split queue of a ring known to be split (`VhostPort.receiveTarget` returns only
    /// those): the word as it is, no test.
    var knownSplit: Unmanaged<SplitQueue> { @inline(__always) get { Unmanaged.fromOpaque(tagged) } }

    var format: Format {
        @inline(__always) get {
            isPacked ? .packed(Unmanaged.fromOpaque(tagged - 1)) : .split(Unmanaged.fromOpaque(tagged))
        }
    }

    /// The queue as an existential, for cold paths (notification arming, fault checks, GET_VRING_BASE).
    var queue: any Virtqueue {
        switch format {
        case .split(let q): q.takeUnretainedValue()
        case .packed(let q): q.takeUnretainedValue()
        }
    }

    /// A queue and its unmanaged view: what a port stores per running ring (the strong reference
    /// keeps the queue alive for every `GuestRing` that names it).
    struct Owned {
        let queue: any Virtqueue
        let ring: GuestRing

        init(_ queue: SplitQueue) {
            self.queue = queue
            ring = GuestRing(queue)
        }

        init(_ queue: PackedQueue) {
            self.queue = queue
            ring = GuestRing(queue)
        }
    }
}

/// A ring format the engine can name: each concrete `Virtqueue` says which `GuestRing` case it
/// is, so that generic code specialized for it can put the ring in the dirty list.
protocol EngineVirtqueue: Virtqueue {
    var guestRing: GuestRing { get }
}

extension SplitQueue: EngineVirtqueue {
    var guestRing: GuestRing { @inline(__always) get { GuestRing(self) } }
}

extension PackedQueue: EngineVirtqueue {
    var guestRing: GuestRing { @inline(__always) get { GuestRing(self) } }
}
