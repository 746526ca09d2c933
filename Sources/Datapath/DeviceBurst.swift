import SwitchCore
import Uplink
import Virtio

/// A burst read from a host device: the uplink's TPACKET_V3 ring or a TAP device's read buffers.
/// Its frames are in the switch's own memory until `releaseBurst`, and nothing else writes them,
/// so each parses in place and serves as its own private copy of the L2 header
/// (`BurstScratch.parse(received:at:)`, docs/vlan-safety.md).
struct DeviceBurst<Device: PacketSource>: FrameBurst {
    unowned(unsafe) let device: Device
    let source: FrameSource

    var pair: Int { @inline(__always) get { 0 } }

    @inline(__always)
    mutating func take(into s: BurstScratch, engine: Engine) -> BurstCount {
        let n = device.receiveBurst(max: BurstScratch.burstSize)
        for i in 0..<n { s.parse(received: device.frame(i), at: i) }
        return BurstCount(taken: n, parsed: n)
    }

    @inline(__always)
    func segments(ofFrame n: Int, scratch: BurstScratch) -> UnsafeBufferPointer<PacketSegment> {
        device.frame(n).segments
    }

    @inline(__always)
    func l2(ofFrame n: Int, scratch: BurstScratch) -> UnsafeRawPointer {
        UnsafeRawPointer(device.frame(n).segments[0].base)
    }

    @inline(__always)
    func complete(taken: Int) {
        if taken > 0 { device.releaseBurst() }
    }
}
