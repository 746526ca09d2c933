import SwitchCore
import Uplink
import Virtio

/// Preallocated per-engine working memory for one burst: nothing is allocated per frame.
final class BurstScratch {
    static let burstSize = 32
    /// A 64 KB GSO frame with its Ethernet, VLAN and IPv6 headers, plus room for a pushed tag.
    static let largestFrame = 65_535 + 14 + 8 + 40 + 4

    let headers: UnsafeMutablePointer<FrameHeader>
    /// The sender's virtio-net header of each parsed frame (all zero from senders without offloads).
    let netHeaders: UnsafeMutablePointer<VirtioNetHeader>
    /// A whole frame, contiguous, for the software offload fallbacks (checksum, segmentation).
    let offloadFrame: UnsafeMutableRawBufferPointer
    /// One output segment of the software segmenter.
    let offloadSegment: UnsafeMutableRawBufferPointer
    let decisions: UnsafeMutablePointer<ForwardingDecision>
    /// Which chain of the popped burst each parsed header belongs to (malformed chains are skipped).
    let chainIndex: UnsafeMutablePointer<Int>
    let floodTargets: UnsafeMutableBufferPointer<UInt16>
    /// Each parsed frame's first 18 bytes, copied out of guest memory once: the core decides on
    /// them and every copy of the frame gets its L2 header from here, never from guest memory
    /// again (docs/vlan-safety.md, "Time of check, time of use"). Slot n at `headerCopyStride * n`.
    let headerCopies: UnsafeMutableRawPointer
    static let headerCopyStride = 32
    /// MACs + (new) 802.1Q tag + EtherType written ahead of the rest of a re-tagged frame.
    let prefix: UnsafeMutableRawPointer
    /// Destinations written during this turn (guest RX rings, uplinks), flushed once at its end.
    let dirty: UnsafeMutablePointer<DirtyDestination>
    let dirtyCapacity: Int
    var dirtyCount = 0

    init(maxPorts: Int) {
        headers = .allocate(capacity: BurstScratch.burstSize)
        netHeaders = .allocate(capacity: BurstScratch.burstSize)
        netHeaders.initialize(repeating: VirtioNetHeader(), count: BurstScratch.burstSize)
        offloadFrame = .allocate(byteCount: BurstScratch.largestFrame, alignment: 16)
        offloadSegment = .allocate(byteCount: BurstScratch.largestFrame, alignment: 16)
        decisions = .allocate(capacity: BurstScratch.burstSize)
        chainIndex = .allocate(capacity: BurstScratch.burstSize)
        floodTargets = .allocate(capacity: maxPorts)
        headerCopies = .allocate(byteCount: BurstScratch.headerCopyStride * BurstScratch.burstSize, alignment: 16)
        prefix = .allocate(byteCount: 32, alignment: 8)
        // Enough for every port's first queue; more in one turn just flushes early.
        dirtyCapacity = maxPorts
        dirty = .allocate(capacity: maxPorts)
    }

    deinit {
        headers.deallocate()
        netHeaders.deallocate()
        offloadFrame.deallocate()
        offloadSegment.deallocate()
        decisions.deallocate()
        chainIndex.deallocate()
        floodTargets.deallocate()
        headerCopies.deallocate()
        prefix.deallocate()
        dirty.deallocate()
    }
}

/// A destination with work to flush at the end of the turn: a guest RX ring with unpublished
/// used entries, an uplink with staged frames. Unmanaged: ports and rings cannot go mid-turn.
struct DirtyDestination {
    /// Identifies the destination (the ring, or the port for kinds with one transmit path).
    let key: UnsafeMutableRawPointer
    let owner: PortKind
    let ring: GuestRing?
    let ringIndex: Int
}

extension BurstScratch {
    /// Parses frame `i` of a burst read from a host device (uplink ring, TAP read buffer) in
    /// place: its memory is ours until the burst is released and nothing else writes it, so it
    /// serves as the private copy of the L2 header (docs/vlan-safety.md). The first segment holds
    /// at least the Ethernet header, and all 18 bytes of a tagged one (a tag the kernel took out
    /// is back in it, with its TPID, so a second tag behind it shows as `hasTagStack`).
    @inline(__always)
    func parse(received frame: ReceivedFrame, at i: Int) {
        let first = frame.segments[0]
        var h = FrameHeader.parse(UnsafeRawPointer(first.base), length: min(first.length, frame.length))
        h.length = UInt32(truncatingIfNeeded: frame.length)
        headers[i] = h
        netHeaders[i] = frame.vnetHeader
    }
}
