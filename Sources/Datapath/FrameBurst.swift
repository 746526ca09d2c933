import GuestMemory
import SwitchCore
import Virtio

/// One kind's receive side for one burst, as the single `Engine.forwardBurst` drives it: take up
/// to `BurstScratch.burstSize` frames and parse each into the burst scratch, hand out each parsed
/// frame's bytes and private L2 header copy, then give the frames back. Implemented by small
/// structs holding unowned(unsafe) references (no reference counting per burst) and used only
/// through generics, specialized per kind (docs/hot-path.md, "Port table and ring seam").
protocol FrameBurst {
    associatedtype Segment: ByteSegment
    /// Where the frames come from (ingress port, bytes before the Ethernet header, offloads).
    var source: FrameSource { get }
    /// The queue pair the burst came in on (the receiver's RX ring is chosen by it).
    var pair: Int { get }
    /// Takes the frames and fills `scratch.headers` and `scratch.netHeaders` (and whatever the
    /// kind needs to find frame n again) for every well-formed one; refused frames are counted
    /// here. Returns the frames taken (for the loop's counters and `complete`) and how many were
    /// filled in.
    mutating func take(into scratch: BurstScratch, engine: Engine) -> BurstCount
    /// The bytes of parsed frame `n`: the Ethernet frame after `source.skip` bytes.
    func segments(ofFrame n: Int, scratch: BurstScratch) -> UnsafeBufferPointer<Segment>
    /// The frame's first `l2Length` bytes in memory its sender cannot write (docs/vlan-safety.md).
    func l2(ofFrame n: Int, scratch: BurstScratch) -> UnsafeRawPointer
    /// Gives the `taken` frames back (used ring, block release) and notifies the sender if it asks.
    func complete(taken: Int)
}

/// What `FrameBurst.take` got: frames taken from the source, frames parsed into the scratch.
struct BurstCount {
    let taken: Int
    let parsed: Int
}

/// Where a frame came from, as the delivery path needs it: the ingress port (never flooded back
/// to), how many bytes precede the Ethernet frame in its segments (a guest's virtio-net header;
/// 0 from the uplink), and the offloads its sender may use.
struct FrameSource {
    let index: UInt16
    let skip: Int
    let features: VirtioFeatures
}
