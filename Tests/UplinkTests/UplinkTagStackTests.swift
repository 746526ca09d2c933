import Foundation
import LinkControl
import SwitchCore
import Testing
import Uplink
import Virtio

/// The tag-stack rule on the uplink (docs/vlan-safety.md): the kernel takes the outer tag off a
/// received frame into the ring's VLAN fields; the uplink puts it back, and the engine's parse
/// of the restored header must still see a second tag behind it. Real veth, real kernel untagging.
@Suite(.serialized) struct UplinkTagStackTests {
    /// Each received frame parsed exactly as `DeviceBurst.take` (Datapath) does: in place, first segment.
    func parsedHeaders(_ uplink: UplinkSocket, count: Int) -> [FrameHeader] {
        var out: [FrameHeader] = []
        let deadline = Date().addingTimeInterval(2)
        while out.count < count && Date() < deadline {
            let n = uplink.receiveBurst(max: 32)
            for i in 0..<n {
                let frame = uplink.frame(i)
                let first = frame.segments[0]
                var h = FrameHeader.parse(UnsafeRawPointer(first.base), length: min(first.length, frame.length))
                h.length = UInt32(truncatingIfNeeded: frame.length)
                if h.source == MACAddress(0x02, 0x77, 0x00, 0x00, 0x00, 0x02) { out.append(h) }
            }
            uplink.releaseBurst()
            if n == 0 { usleep(5_000) }
        }
        return out
    }

    @Test func aSecondTagBehindTheOneTheKernelStrippedIsStillSeen() throws {
        let veth = try NamespacedVeth(tag: "vlan")
        let link = try UplinkLink(interface: veth.hostSide)
        let uplink = try #require(link.socket)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let payload = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.broadcast, marker: 0xc1, length: 120)
        var serviceOuter = UplinkFrames.tagged(UplinkFrames.tagged(payload, vid: 30), vid: 20)
        serviceOuter[12] = 0x88
        serviceOuter[13] = 0xA8
        let frames = [
            UplinkFrames.tagged(UplinkFrames.tagged(payload, vid: 20), vid: 0),   // priority tag, VLAN 20 inside
            UplinkFrames.tagged(UplinkFrames.tagged(payload, vid: 20), vid: 10),  // VLAN 10, VLAN 20 inside
            serviceOuter,                                                     // S-tag 20, C-tag 30
            UplinkFrames.tagged(payload, vid: 10, pcp: 4),                      // positive controls:
            UplinkFrames.tagged(payload, vid: 0, pcp: 6),                       // one tag each
        ]
        for f in frames { try peer.send(f) }
        let got = parsedHeaders(uplink, count: frames.count)
        #expect(got.count == frames.count)
        #expect(got.map(\.hasTagStack) == [true, true, true, false, false])
        #expect(got.map(\.isTagged) == [true, true, false, true, true])
        #expect(got.map(\.vid) == [0, 10, 0, 10, 0])
        #expect(got.last.map { $0.pcp == 6 && !$0.isRunt } == true)
        #expect(uplink.counters.tagsRestored >= UInt64(frames.count))
        withExtendedLifetime(link) {}
    }
}
