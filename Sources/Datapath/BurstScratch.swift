import SwitchCore
import Virtio

/// Preallocated per-engine working memory for one burst: nothing is allocated per frame.
final class BurstScratch {
    static let burstSize = 32

    let headers: UnsafeMutablePointer<FrameHeader>
    let decisions: UnsafeMutablePointer<ForwardingDecision>
    /// Which chain of the popped burst each parsed header belongs to (malformed chains are skipped).
    let chainIndex: UnsafeMutablePointer<Int>
    let floodTargets: UnsafeMutableBufferPointer<UInt16>
    /// The first bytes of a frame whose header the guest split across descriptors.
    let headerBytes: UnsafeMutableRawPointer
    /// Destination MACs + (new) 802.1Q tag written ahead of the rest of a re-tagged frame.
    let prefix: UnsafeMutableRawPointer
    /// RX queues written during this turn, published and notified once at its end.
    var dirty: [SplitQueue?]
    var dirtyOwners: [VhostPort?]
    var dirtyRings: [Int]
    var dirtyCount = 0

    init(maxPorts: Int) {
        headers = .allocate(capacity: BurstScratch.burstSize)
        decisions = .allocate(capacity: BurstScratch.burstSize)
        chainIndex = .allocate(capacity: BurstScratch.burstSize)
        floodTargets = .allocate(capacity: maxPorts)
        headerBytes = .allocate(byteCount: 32, alignment: 8)
        prefix = .allocate(byteCount: 32, alignment: 8)
        // One entry per (port, queue) at most; sized generously once.
        dirty = Array(repeating: nil, count: maxPorts * 2)
        dirtyOwners = Array(repeating: nil, count: maxPorts * 2)
        dirtyRings = Array(repeating: 0, count: maxPorts * 2)
    }

    deinit {
        headers.deallocate()
        decisions.deallocate()
        chainIndex.deallocate()
        floodTargets.deallocate()
        headerBytes.deallocate()
        prefix.deallocate()
    }
}
