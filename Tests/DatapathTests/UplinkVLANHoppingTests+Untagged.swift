import Datapath
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Untagged frames from the wire take the one-call receive path into a guest's ring with bytes
/// that live in the uplink's ring block (`PacketSegment`, not guest memory): they must arrive
/// whole, on the native VLAN's guest only. In the serialized suite: it shares its veth names.
extension UplinkVLANHoppingTests {
    @Test func untaggedFramesFromTheWireReachTheNativeVLANGuestWhole() throws {
        let (wire, h) = try nativeVLANTrunkUplink()
        let outside = [UInt8]([0x02, 0x77, 0x00, 0x00, 0x00, 0x0A])
        func fromOutside(_ frames: [[UInt8]]) -> [[UInt8]] { frames.filter { Array($0[6..<12]) == outside } }

        // Until the uplink is up, resend a small frame; then one of each size, byte for byte.
        let small = HarnessFrames.make(to: HarnessFrames.broadcast, from: outside, length: 60)
        var delivered: [[UInt8]] = []
        for _ in 0..<50 where delivered.isEmpty {
            try wire.send(small)
            delivered = fromOutside(try h.receive("g10", expected: 1, timeout: 0.1))
        }
        #expect(delivered.first == small)
        _ = try h.receive("g10", expected: 0, timeout: 0.2)  // late copies
        let sizes = [64, 600, 1514]
        for length in sizes { try wire.send(HarnessFrames.make(to: HarnessFrames.broadcast, from: outside, length: length)) }
        let got = fromOutside(try h.receive("g10", expected: sizes.count))
        #expect(got == sizes.map { HarnessFrames.make(to: HarnessFrames.broadcast, from: outside, length: $0) })
        // Native VLAN 10 only: the VLAN 20 guest saw none of them.
        #expect(fromOutside(try h.receive("g20", expected: 0, timeout: 0.1)).isEmpty)
        expectAccountingAddsUp(h.engine)
    }
}
