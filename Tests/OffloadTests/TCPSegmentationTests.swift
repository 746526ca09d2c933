import Testing
import Virtio
@testable import Offload

@Suite struct TCPSegmentationTests {
    static let tcp4 = VirtioNetHeader.gsoTCPv4
    static let tcp6 = VirtioNetHeader.gsoTCPv6

    @Test(arguments: [SegmentChecksumMode.full, .partial])
    func segments64KTCPv4FrameIntoMSSSegments(mode: SegmentChecksumMode) throws {
        // 65535 - 20 (IP) - 20 (TCP) = 65495 bytes: 45 segments of 1448 and a last one of 335.
        let built = OffloadFrames.tcp(ipv6: false, payloadLength: 65495, flags: 0x99)  // CWR|ACK|PSH|FIN
        let result = try Segmentation.run(built.bytes, gsoType: Self.tcp4, size: 1448, mode: mode).get()
        #expect(result.frames.count == 46)
        #expect(result.frames.last?.count == 54 + 335)
        Segmentation.verifyTCP(result, original: built, mss: 1448, mode: mode)
        // The sequence number and IP ID both wrap past their maximum inside this frame.
        #expect(result.frames.last?.be16(18) == 0xFFF0 &+ 45)
    }

    @Test(arguments: [SegmentChecksumMode.full, .partial])
    func segments64KTCPv6FrameIntoMSSSegments(mode: SegmentChecksumMode) throws {
        let built = OffloadFrames.tcp(ipv6: true, payloadLength: 65515, flags: 0x99)
        let result = try Segmentation.run(built.bytes, gsoType: Self.tcp6, size: 1428, mode: mode).get()
        #expect(result.frames.count == 46)
        Segmentation.verifyTCP(result, original: built, mss: 1428, mode: mode)
    }

    @Test func segmentsVLANTaggedFrame() throws {
        let built = OffloadFrames.tcp(ipv6: false, vlan: 0x2064, payloadLength: 10000)
        let result = try Segmentation.run(built.bytes, gsoType: Self.tcp4, size: 1460).get()
        #expect(result.frames.count == 7)
        #expect(result.frames.allSatisfy { $0[12] == 0x81 && $0[13] == 0x00 && $0[14] == 0x20 && $0[15] == 0x64 })
        Segmentation.verifyTCP(result, original: built, mss: 1460, mode: .full)
    }

    @Test func segmentsTaggedIPv6FrameWithOptionsAndUnevenPayload() throws {
        let timestamps: [UInt8] = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]
        let built = OffloadFrames.tcp(ipv6: true, vlan: 5, payloadLength: 4001, tcpOptions: timestamps)
        let result = try Segmentation.run(built.bytes, gsoType: Self.tcp6, size: 1000).get()
        #expect(result.frames.map(\.count) == [1000, 1000, 1000, 1000, 1].map { $0 + built.payload })
        Segmentation.verifyTCP(result, original: built, mss: 1000, mode: .full)
    }

    @Test func segmentsIPv4FrameWithOptions() throws {
        let routerAlert: [UInt8] = [0x94, 0x04, 0x00, 0x00]
        let built = OffloadFrames.tcp(ipv6: false, payloadLength: 3000, ipv4Options: routerAlert)
        let result = try Segmentation.run(built.bytes, gsoType: Self.tcp4, size: 1448).get()
        #expect(result.frames.count == 3)
        Segmentation.verifyTCP(result, original: built, mss: 1448, mode: .full)
    }

    @Test func segmentsIPv6FrameWithDestinationOptionsHeader() throws {
        let built = OffloadFrames.tcp(ipv6: true, payloadLength: 3000, ipv6ExtensionHeader: 60)
        let result = try Segmentation.run(built.bytes, gsoType: Self.tcp6, size: 1400, mode: .partial).get()
        #expect(result.frames.count == 3)
        Segmentation.verifyTCP(result, original: built, mss: 1400, mode: .partial)
    }

    @Test func emitsOneSegmentWhenPayloadFitsOrIsEmpty() throws {
        for length in [0, 1, 1448] {
            let built = OffloadFrames.tcp(ipv6: false, payloadLength: length, flags: 0x11)
            let result = try Segmentation.run(built.bytes, gsoType: Self.tcp4, size: 1448).get()
            #expect(result.frames.count == 1)
            Segmentation.verifyTCP(result, original: built, mss: 1448, mode: .full)
        }
    }

    @Test func keepsFinAndPshOnlyOnLastAndCwrOnlyOnFirst() throws {
        let built = OffloadFrames.tcp(ipv6: false, payloadLength: 300, flags: 0x99)
        let result = try Segmentation.run(built.bytes, gsoType: Self.tcp4, size: 100).get()
        #expect(result.frames.map { $0[built.transport + 13] } == [0x90, 0x10, 0x19])
    }

    @Test func refusesOutputBufferTooSmallWithoutLosingTheSegment() throws {
        var frame = OffloadFrames.tcp(ipv6: false, payloadLength: 3000).bytes
        try frame.withUnsafeMutableBytes { raw in
            let request = SegmentationRequest(kind: .tcp, gsoType: Self.tcp4, segmentSize: 1448, checksumMode: .full)
            var segmenter = try SoftwareSegmenter.start(frame: UnsafeRawBufferPointer(raw), request: request).get()
            var small = [UInt8](repeating: 0, count: segmenter.maximumSegmentLength - 1)
            #expect(small.withUnsafeMutableBytes { segmenter.next(into: $0) } == nil)
            #expect(segmenter.producedCount == 0 && !segmenter.isFinished)
            var output = [UInt8](repeating: 0, count: segmenter.maximumSegmentLength)
            var lengths: [Int] = []
            while let n = output.withUnsafeMutableBytes({ segmenter.next(into: $0) }) { lengths.append(n) }
            #expect(lengths == [1502, 1502, 158])
        }
    }

    @Test func rejectsFramesWhoseHeadersContradictTheGSOType() {
        let v4 = OffloadFrames.tcp(ipv6: false, payloadLength: 3000).bytes
        let v6 = OffloadFrames.tcp(ipv6: true, payloadLength: 3000).bytes
        #expect(Segmentation.run(v4, gsoType: Self.tcp6, size: 1000).failure == .headersMismatchGSOType)
        #expect(Segmentation.run(v6, gsoType: Self.tcp4, size: 1000).failure == .headersMismatchGSOType)
        var udp = v4
        udp[23] = 17
        #expect(Segmentation.run(udp, gsoType: Self.tcp4, size: 1000).failure == .headersMismatchGSOType)
        var arp = v4
        arp[12] = 0x08; arp[13] = 0x06
        #expect(Segmentation.run(arp, gsoType: Self.tcp4, size: 1000).failure == .headersMismatchGSOType)
        var fragment = v4
        fragment[20] = 0x20  // MF
        #expect(Segmentation.run(fragment, gsoType: Self.tcp4, size: 1000).failure == .fragmentedDatagram)
    }

    @Test func rejectsTruncatedHeaders() {
        let v4 = OffloadFrames.tcp(ipv6: false, payloadLength: 0).bytes
        for cut in [13, 20, 33, 40, 53] {
            #expect(Segmentation.run(Array(v4[0..<cut]), gsoType: Self.tcp4, size: 1000).failure == .truncatedHeaders,
                    "cut at \(cut)")
        }
        var longIHL = v4
        longIHL[14] = 0x4F  // 60-byte IP header in a 54-byte frame
        #expect(Segmentation.run(longIHL, gsoType: Self.tcp4, size: 1000).failure == .truncatedHeaders)
        var shortOffset = v4
        shortOffset[46] = 0x40  // TCP data offset 16 bytes
        #expect(Segmentation.run(shortOffset, gsoType: Self.tcp4, size: 1000).failure == .truncatedHeaders)
    }

    @Test func rejectsIPv6RoutingAndFragmentHeaders() {
        let routed = OffloadFrames.tcp(ipv6: true, payloadLength: 3000, ipv6ExtensionHeader: 43).bytes
        #expect(Segmentation.run(routed, gsoType: Self.tcp6, size: 1000).failure == .ipv6ExtensionHeaderUnsupported)
        let fragment = OffloadFrames.tcp(ipv6: true, payloadLength: 3000, ipv6ExtensionHeader: 44).bytes
        #expect(Segmentation.run(fragment, gsoType: Self.tcp6, size: 1000).failure == .fragmentedDatagram)
    }

    @Test func rejectsDatagramLongerThanIPCanDescribe() {
        let built = OffloadFrames.tcp(ipv6: false, payloadLength: 65536)
        #expect(Segmentation.run(built.bytes, gsoType: Self.tcp4, size: 1448).failure == .oversizedDatagram)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
