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
        for i in 0..<n { s.parse(received: socket.frame(i), at: i) }
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
