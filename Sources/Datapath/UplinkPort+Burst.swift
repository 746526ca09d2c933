import SwitchCore
import Uplink
import Virtio

/// A burst from the uplink's TPACKET_V3 receive ring.
struct UplinkBurst: FrameBurst {
    unowned(unsafe) let socket: UplinkSocket
    unowned(unsafe) let port: UplinkPort

    var pair: Int { @inline(__always) get { 0 } }

    var source: FrameSource {
        @inline(__always) get { FrameSource(index: port.index, skip: 0, features: UplinkPort.senderFeatures) }
    }

    @inline(__always)
    mutating func take(into s: BurstScratch, engine: Engine) -> BurstCount {
        let n = socket.receiveBurst(max: BurstScratch.burstSize)
        for i in 0..<n {
            let frame = socket.frame(i)
            // The first segment holds at least the Ethernet header (with a restored tag, all 18
            // bytes of it), so it parses in place: the ring block is ours until `releaseBurst` and
            // nothing else writes it, so it serves as the private copy of the L2 header
            // (docs/vlan-safety.md). A tag the kernel took out is back in it (with its TPID), and
            // the EtherType behind it is the frame's own, so a second tag shows as `hasTagStack`.
            let first = frame.segments[0]
            var h = FrameHeader.parse(UnsafeRawPointer(first.base), length: min(first.length, frame.length))
            h.length = UInt32(truncatingIfNeeded: frame.length)
            s.headers[i] = h
            s.netHeaders[i] = frame.vnetHeader
        }
        return BurstCount(taken: n, parsed: n)
    }

    @inline(__always)
    func segments(ofFrame n: Int, scratch: BurstScratch) -> UnsafeBufferPointer<PacketSegment> {
        socket.frame(n).segments
    }

    @inline(__always)
    func l2(ofFrame n: Int, scratch: BurstScratch) -> UnsafeRawPointer {
        UnsafeRawPointer(socket.frame(n).segments[0].base)
    }

    @inline(__always)
    func complete(taken: Int) {
        if taken > 0 { socket.releaseBurst() }
    }
}
