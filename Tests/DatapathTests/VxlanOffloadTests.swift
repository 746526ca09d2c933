import Datapath
import Glibc
import SwitchCore
import Testing
import VhostTestFrontEnd

/// A guest's offloads towards a vxlan port (docs/vxlan-ports.md): nothing after the raw socket
/// finishes a checksum or cuts a GSO frame, so the switch does, as for a guest without offloads.
@Suite(.serialized) struct VxlanOffloadTests {
    typealias Setup = VxlanPortTests.Setup

    static func bigGuest() -> TestFrontEnd.Options {
        var big = TestFrontEnd.Options()
        big.ringSize = 32
        big.bufferSize = 32 * 1024
        big.regionSize = 8 << 20
        return big
    }

    @Test func aPartialChecksumIsFinishedBeforeEncapsulation() throws {
        let s = try Setup()
        let frame = TCPFrames.partial(to: HarnessFrames.broadcast, from: VxlanPortTests.guestMAC,
                                      payload: Array(repeating: 7, count: 301))
        try s.h.frontEnd("g").send(frame: frame, netHeader: TCPFrames.netHeader(mss: nil))
        let inner = try #require(s.a.receive(expected: 1).first?.inner)
        #expect(!TCPFrames.checksumsVerify(frame), "the guest left the checksum partial")
        #expect(TCPFrames.checksumsVerify(inner), "the tunnel got it finished")
        #expect(TCPFrames.payload(of: inner) == TCPFrames.payload(of: frame))
    }

    @Test func aGSOFrameIsSegmentedToTheTunnelsMTUAndOneTooLargeForItIsDropped() throws {
        let s = try Setup(guestOptions: Self.bigGuest())
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let frame = TCPFrames.partial(to: HarnessFrames.broadcast, from: VxlanPortTests.guestMAC, payload: payload)
        // 54 + 1398 = 1452 bytes per segment: + 36 fits the 1500-byte underlay.
        try s.h.frontEnd("g").send(frame: frame, netHeader: TCPFrames.netHeader(mss: 1398))
        for remote in [s.a, s.b] {
            let got = remote.receive(expected: 4).map(\.inner)
            #expect(got.count == 4, "ceil(5000 / 1398) segments at \(remote.address)")
            #expect(got.allSatisfy(TCPFrames.checksumsVerify), "every segment fully checksummed")
            #expect(got.flatMap(TCPFrames.payload) == payload)
        }
        #expect(try s.h.counters("vx").transmittedFrames == 4)

        // An MSS of 1448 makes 1502-byte segments: 1538 bytes of underlay IP, over 1500.
        try s.h.frontEnd("g").send(frame: frame, netHeader: TCPFrames.netHeader(mss: 1448))
        var dropped: UInt64 = 0
        for _ in 0..<200 where dropped == 0 {
            usleep(5_000)
            dropped = try s.h.counters("vx").transmitDrops(.mtuExceeded)
        }
        #expect(dropped == 1)
        #expect(s.a.receive(expected: 0, timeout: 0.3).isEmpty, "a segment of the oversized frame left")
        expectAccountingAddsUp(s.h.engine, softwareSegmentation: true)
    }
}
