import GuestMemory
import SwitchCore
import Virtio

/// A burst from one guest TX ring, for any ring format (`Queue` is specialized: split today).
/// The queue is held unmanaged and called through `_withUnsafeGuaranteedRef`: an unowned(unsafe)
/// field was retained and released around each call (about 10 instructions per frame).
struct GuestTransmitBurst<Queue: EngineVirtqueue>: FrameBurst {
    let queue: Unmanaged<Queue>
    unowned(unsafe) let port: VhostPort
    let pair: Int
    /// The popped chains, read once per burst.
    private var chains: UnsafeBufferPointer<DescriptorChain>

    @inline(__always)
    init(tx: Queue, port: VhostPort, pair: Int) {
        queue = Unmanaged.passUnretained(tx)
        self.port = port
        self.pair = pair
        chains = UnsafeBufferPointer(start: nil, count: 0)
    }

    var source: FrameSource {
        @inline(__always) get { FrameSource(index: port.index, skip: port.headerLength, features: port.features) }
    }

    @inline(__always)
    mutating func take(into s: BurstScratch, engine: Engine) -> BurstCount {
        let queue = self.queue
        return queue._withUnsafeGuaranteedRef { tx in take(from: tx, into: s, engine: engine) }
    }

    @inline(__always)
    private mutating func take(from tx: Queue, into s: BurstScratch, engine: Engine) -> BurstCount {
        let popped = tx.popAvailable(maxChains: BurstScratch.burstSize)
        guard popped > 0 else { return BurstCount(taken: 0, parsed: 0) }
        chains = tx.chains
        let headerLength = port.headerLength
        // Per burst, not per frame: the stores below could alias the port for all the optimizer knows.
        let offloads = port.sendsOffloads
        var valid = 0
        for i in 0..<popped {
            let chain = chains[i]
            guard chain.error == nil, chain.length > headerLength else {
                engine.recordRefusedChain(chain.error, from: port.index)
                continue
            }
            let segments = tx.segments(of: chain)
            let frameLength = chain.length &- headerLength
            let first = segments[0]
            // Parsed from a private copy, never in place: the guest may rewrite its buffer until
            // we return the descriptor (docs/vlan-safety.md).
            let copy = s.headerCopies + valid &* BurstScratch.headerCopyStride
            if first.length >= headerLength &+ 18 {
                // Then frameLength >= 18 too (the first segment is part of the chain).
                Engine.copyHeader(from: UnsafeRawPointer(first.base + headerLength), to: copy)
                s.headers[valid] = FrameHeader.parse(complete: UnsafeRawPointer(copy),
                                                     length: UInt32(truncatingIfNeeded: frameLength))
                // Senders that negotiated no offload always send an all-zero header: skip reading
                // it. The first segment holds the whole virtio-net header here: read in place.
                s.netHeaders[valid] = offloads
                    ? VirtioNetHeader(readingFrom: UnsafeRawPointer(first.base), length: headerLength)
                    : VirtioNetHeader()
            } else {
                let got = segments.gather(offset: headerLength, count: min(frameLength, 18), into: copy)
                var h = FrameHeader.parse(UnsafeRawPointer(copy), length: got)
                h.length = UInt32(truncatingIfNeeded: frameLength)
                s.headers[valid] = h
                s.netHeaders[valid] = offloads
                    ? (VirtioNetHeader(gatheringFrom: segments, length: headerLength) ?? VirtioNetHeader())
                    : VirtioNetHeader()
            }
            s.chainIndex[valid] = i
            valid &+= 1
        }
        return BurstCount(taken: popped, parsed: valid)
    }

    @inline(__always)
    func segments(ofFrame n: Int, scratch s: BurstScratch) -> UnsafeBufferPointer<GuestSegment> {
        queue._withUnsafeGuaranteedRef { $0.segments(of: chains[s.chainIndex[n]]) }
    }

    @inline(__always)
    func l2(ofFrame n: Int, scratch s: BurstScratch) -> UnsafeRawPointer {
        UnsafeRawPointer(s.headerCopies + n &* BurstScratch.headerCopyStride)
    }

    /// Every popped chain goes back, malformed ones included, in one pass (docs/hot-path.md).
    @inline(__always)
    func complete(taken: Int) {
        let notify = queue._withUnsafeGuaranteedRef { tx in
            tx.pushUsedTransmitted(count: taken)
            tx.publishUsed()
            return tx.needsNotification()
        }
        if notify { port.notify(ring: pair &* 2 &+ 1) }
    }
}
