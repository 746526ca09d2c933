import Datapath
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Guest offloads across the switch: whole to a receiver that negotiated them, finished in
/// software for one that did not.
@Suite(.serialized) struct OffloadForwardingTests {
    static let noGuestOffloads: UInt64 = ~((1 << 1) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10))

    func harness() throws -> SwitchHarness {
        let h = try SwitchHarness(ports: [("sender", .access(vlan: 1)), ("capable", .access(vlan: 1)), ("plain", .access(vlan: 1))])
        var big = TestFrontEnd.Options()
        big.ringSize = 32
        big.bufferSize = 32 * 1024
        big.regionSize = 8 << 20
        try h.connect("sender", options: big)
        try h.connect("capable")
        var plain = TestFrontEnd.Options()
        plain.driverFeatures &= Self.noGuestOffloads
        try h.connect("plain", options: plain)
        return h
    }

    @Test func aGSOFrameReachesATSOReceiverWholeAndIsSegmentedForAnother() throws {
        let h = try harness()
        let payload = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let frame = TCPFrames.partial(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), payload: payload)
        try h.frontEnd("sender").send(frame: frame, netHeader: TCPFrames.netHeader(mss: 1448))

        let whole = try h.receive("capable", expected: 1)
        #expect(whole == [frame], "passed through whole, still partial, for the guest's own stack to finish")

        let segments = try h.receive("plain", expected: 14)
        #expect(segments.count == 14)  // ceil(20000 / 1448)
        #expect(segments.allSatisfy { $0.count <= 1514 })
        #expect(segments.allSatisfy(TCPFrames.checksumsVerify), "every segment fully checksummed")
        #expect(segments.flatMap(TCPFrames.payload) == payload)
        #expect(try h.counters("plain").transmittedFrames == 14)
    }

    @Test func aPartialChecksumIsCompletedOnlyForAReceiverWithoutGuestCsum() throws {
        let h = try harness()
        let frame = TCPFrames.partial(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), payload: Array(repeating: 7, count: 301))
        try h.frontEnd("sender").send(frame: frame, netHeader: TCPFrames.netHeader(mss: nil))
        #expect(try h.receive("capable", expected: 1) == [frame])
        let completed = try #require(try h.receive("plain", expected: 1).first)
        #expect(!TCPFrames.checksumsVerify(frame), "the sender left the checksum partial")
        #expect(TCPFrames.checksumsVerify(completed))
        #expect(TCPFrames.payload(of: completed) == TCPFrames.payload(of: frame))
    }

    @Test func aGSOHeaderThatContradictsTheFrameIsDroppedAndCounted() throws {
        let h = try harness()
        let frame = TCPFrames.partial(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), payload: Array(repeating: 1, count: 100))
        var bad = TCPFrames.netHeader(mss: 1448)
        bad[6] = 0xF0  // csum_start far beyond the frame
        bad[7] = 0x0F
        try h.frontEnd("sender").send(frame: frame, netHeader: bad)
        #expect(try h.receivesNothing("capable") && h.receivesNothing("plain"))
        #expect(try h.counters("plain").transmitDrops(.malformedDescriptor) == 1)
    }
}
