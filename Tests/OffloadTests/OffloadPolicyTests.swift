import Testing
import Virtio
@testable import Offload

@Suite struct OffloadPolicyTests {
    static let offloadSender: VirtioFeatures = [.version1, .csum, .hostTSO4, .hostTSO6, .hostECN, .hostUFO]
    static let plainReceiver: VirtioFeatures = [.version1, .mergeableRxBuffers]
    static let csumReceiver: VirtioFeatures = [.version1, .guestCsum]
    static let tsoReceiver: VirtioFeatures = [.version1, .guestCsum, .guestTSO4, .guestTSO6]
    static let fullReceiver: VirtioFeatures = [.version1, .guestCsum, .guestTSO4, .guestTSO6, .guestECN, .guestUFO]

    static let needsChecksum = VirtioNetHeader.flagNeedsChecksum
    static func gso(_ type: UInt8, size: UInt16 = 1448) -> VirtioNetHeader {
        VirtioNetHeader(flags: needsChecksum, gsoType: type, headerLength: 66, gsoSize: size,
                        checksumStart: 34, checksumOffset: 16, numBuffers: 3)
    }
    static let tcp4 = gso(VirtioNetHeader.gsoTCPv4)
    static let tcp6 = gso(VirtioNetHeader.gsoTCPv6)
    static let tcp4ECN = gso(VirtioNetHeader.gsoTCPv4 | VirtioNetHeader.gsoECN)
    static let ufo = gso(VirtioNetHeader.gsoUDP)
    static let partial = VirtioNetHeader(flags: needsChecksum, checksumStart: 34, checksumOffset: 16)

    func plan(_ header: VirtioNetHeader, to receiver: VirtioFeatures, from sender: VirtioFeatures = offloadSender,
              length: Int = 65000) -> OffloadPlan {
        OffloadPolicy(sender: sender, receiver: receiver).plan(for: header, frameLength: length)
    }

    @Test func deliversPlainFramesWithAnAllZeroHeaderToEveryone() {
        for receiver in [Self.plainReceiver, Self.csumReceiver, Self.fullReceiver] {
            #expect(plan(VirtioNetHeader(numBuffers: 1), to: receiver, length: 60) == .deliver(VirtioNetHeader()))
        }
    }

    @Test func forwardsDataValidOnlyToGuestCsumReceivers() {
        let valid = VirtioNetHeader(flags: VirtioNetHeader.flagDataValid)
        #expect(plan(valid, to: Self.csumReceiver, length: 60) == .deliver(valid))
        #expect(plan(valid, to: Self.plainReceiver, length: 60) == .deliver(VirtioNetHeader()))
    }

    @Test func passesPartialChecksumToGuestCsumAndCompletesItForOthers() {
        #expect(plan(Self.partial, to: Self.csumReceiver, length: 100) == .deliver(Self.partial))
        #expect(plan(Self.partial, to: Self.plainReceiver, length: 100)
            == .completeChecksum(checksumStart: 34, checksumOffset: 16))
    }

    @Test func passesGSOThroughOnlyWithMatchingGuestFeature() {
        var expected = Self.tcp4
        expected.numBuffers = 0
        #expect(plan(Self.tcp4, to: Self.tsoReceiver) == .deliver(expected))
        expected = Self.tcp6
        expected.numBuffers = 0
        #expect(plan(Self.tcp6, to: Self.tsoReceiver) == .deliver(expected))
        expected = Self.ufo
        expected.numBuffers = 0
        #expect(plan(Self.ufo, to: Self.fullReceiver) == .deliver(expected))
    }

    @Test func segmentsTCPInSoftwareWhenReceiverLacksTSO() {
        #expect(plan(Self.tcp4, to: Self.plainReceiver) == .segment(SegmentationRequest(
            kind: .tcp, gsoType: VirtioNetHeader.gsoTCPv4, segmentSize: 1448, checksumMode: .full)))
        #expect(plan(Self.tcp4, to: Self.csumReceiver) == .segment(SegmentationRequest(
            kind: .tcp, gsoType: VirtioNetHeader.gsoTCPv4, segmentSize: 1448, checksumMode: .partial)))
        // TSO4 alone does not take TSO6.
        #expect(plan(Self.tcp6, to: [.guestCsum, .guestTSO4]) == .segment(SegmentationRequest(
            kind: .tcp, gsoType: VirtioNetHeader.gsoTCPv6, segmentSize: 1448, checksumMode: .partial)))
    }

    @Test func segmentsECNFramesUnlessReceiverHasGuestECN() {
        #expect(plan(Self.tcp4ECN, to: Self.tsoReceiver) == .segment(SegmentationRequest(
            kind: .tcp, gsoType: VirtioNetHeader.gsoTCPv4, segmentSize: 1448, checksumMode: .partial)))
        var expected = Self.tcp4ECN
        expected.numBuffers = 0
        #expect(plan(Self.tcp4ECN, to: Self.fullReceiver) == .deliver(expected))
    }

    @Test func ignoresGuestTSOWithoutGuestCsum() {
        // A front-end breaking the feature dependency still gets frames it can take.
        #expect(plan(Self.tcp4, to: [.guestTSO4]) == .segment(SegmentationRequest(
            kind: .tcp, gsoType: VirtioNetHeader.gsoTCPv4, segmentSize: 1448, checksumMode: .full)))
    }

    @Test func fragmentsUFOWithFullChecksumWhenReceiverLacksGuestUFO() {
        #expect(plan(Self.ufo, to: Self.tsoReceiver) == .segment(SegmentationRequest(
            kind: .udpFragments, gsoType: VirtioNetHeader.gsoUDP, segmentSize: 1448, checksumMode: .full)))
    }

    @Test func rejectsHeadersTheSenderDidNotNegotiate() {
        #expect(plan(Self.partial, to: Self.fullReceiver, from: [.version1], length: 100)
            == .drop(.checksumNotNegotiated))
        #expect(plan(Self.tcp6, to: Self.fullReceiver, from: [.csum, .hostTSO4]) == .drop(.gsoTypeNotNegotiated))
        #expect(plan(Self.ufo, to: Self.fullReceiver, from: [.csum, .hostTSO4]) == .drop(.gsoTypeNotNegotiated))
        #expect(plan(Self.tcp4ECN, to: Self.fullReceiver, from: [.csum, .hostTSO4]) == .drop(.gsoECNNotNegotiated))
        #expect(plan(Self.gso(VirtioNetHeader.gsoUDPL4), to: Self.fullReceiver) == .drop(.gsoTypeNotNegotiated))
    }

    @Test func refusesUSOEvenIfSenderHasIt() {
        let sender = Self.offloadSender.union(VirtioFeatures(bit: 56))
        #expect(plan(Self.gso(VirtioNetHeader.gsoUDPL4), to: Self.fullReceiver, from: sender)
            == .drop(.unsupportedOffload))
        #expect(!OffloadDropReason.unsupportedOffload.isMalformed)
    }

    @Test func rejectsMalformedHeaders() {
        #expect(plan(VirtioNetHeader(), to: Self.fullReceiver, length: 13) == .drop(.frameTooShort))
        let outside = VirtioNetHeader(flags: Self.needsChecksum, checksumStart: 90, checksumOffset: 9)
        #expect(plan(outside, to: Self.fullReceiver, length: 100) == .drop(.checksumOutOfBounds))
        let atEdge = VirtioNetHeader(flags: Self.needsChecksum, checksumStart: 90, checksumOffset: 8)
        #expect(plan(atEdge, to: Self.fullReceiver, length: 100) == .deliver(atEdge))
        #expect(plan(Self.gso(VirtioNetHeader.gsoTCPv4, size: 0), to: Self.plainReceiver) == .drop(.gsoSizeZero))
        var noChecksum = Self.tcp4
        noChecksum.flags = 0
        #expect(plan(noChecksum, to: Self.plainReceiver) == .drop(.gsoWithoutChecksum))
        for type: UInt8 in [2, 6, 7, 0x7F, 0x80, 0x86] {
            #expect(plan(Self.gso(type), to: Self.fullReceiver) == .drop(.unknownGSOType), "type \(type)")
        }
        #expect(OffloadDropReason.gsoSizeZero.isMalformed)
    }

    @Test func dropsUnknownFlagsAndRSCInfoOnDelivery() {
        let odd = VirtioNetHeader(flags: VirtioNetHeader.flagRSCInfo | 0x40, headerLength: 9, gsoSize: 5)
        #expect(plan(odd, to: Self.fullReceiver, length: 60) == .deliver(VirtioNetHeader()))
    }
}
