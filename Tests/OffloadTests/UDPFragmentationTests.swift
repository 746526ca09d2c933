import Testing
import Virtio
@testable import Offload

@Suite struct UDPFragmentationTests {
    static let ufo = VirtioNetHeader.gsoUDP

    /// Reassembles IPv4 fragments by offset and checks every fragment's IP header on the way.
    func reassemble(_ frames: [[UInt8]], network l3: Int) -> [UInt8]? {
        var data: [UInt8] = []
        for (i, frame) in frames.enumerated() {
            guard ReferenceChecksum.ipv4HeaderIsValid(frame: frame, network: l3),
                  Int(frame.be16(l3 + 2)) == frame.count - l3 else { return nil }
            let field = frame.be16(l3 + 6)
            let moreFragments = field & 0x2000 != 0
            guard moreFragments == (i < frames.count - 1), Int(field & 0x1FFF) * 8 == data.count else { return nil }
            data += frame[(l3 + 20)...]
        }
        return data
    }

    @Test func fragmentsLargeDatagramAndCompletesItsChecksum() throws {
        let built = OffloadFrames.udpIPv4(body: OffloadFrames.payload(60000))
        // 1480 is what a 1500-byte MTU leaves for IP payload per fragment.
        let result = try Segmentation.run(built.bytes, kind: .udpFragments, gsoType: Self.ufo, size: 1480).get()
        #expect(result.frames.count == (60008 + 1479) / 1480)
        #expect(result.header == VirtioNetHeader())
        #expect(result.frames.dropLast().allSatisfy { $0.count == 14 + 20 + 1480 })
        #expect(result.frames.allSatisfy { $0.be16(18) == 0x4242 })
        let datagram = try #require(reassemble(result.frames, network: built.network))
        #expect(datagram.count == built.bytes.count - built.transport)
        // The reassembled datagram, put back behind the original headers, verifies.
        let whole = Array(built.bytes[0..<built.transport]) + datagram
        #expect(Array(datagram[8...]) == Array(built.bytes[built.payload...]))
        #expect(ReferenceChecksum.transportChecksumIsValid(frame: whole, network: built.network,
                                                           transport: built.transport, isIPv6: false, protocol: 17))
    }

    @Test func roundsFragmentSizeDownToMultipleOfEight() throws {
        let built = OffloadFrames.udpIPv4(vlan: 3, body: OffloadFrames.payload(3000))
        let result = try Segmentation.run(built.bytes, kind: .udpFragments, gsoType: Self.ufo, size: 1477).get()
        #expect(result.frames.map { $0.count - built.transport } == [1472, 1472, 64])
        #expect(reassemble(result.frames, network: built.network) != nil)
    }

    @Test func sendsFittingDatagramUnfragmented() throws {
        let built = OffloadFrames.udpIPv4(body: OffloadFrames.payload(100))
        let result = try Segmentation.run(built.bytes, kind: .udpFragments, gsoType: Self.ufo, size: 1480).get()
        #expect(result.frames.count == 1)
        let frame = try #require(result.frames.first)
        #expect(frame.be16(built.network + 6) == 0)
        #expect(ReferenceChecksum.transportChecksumIsValid(frame: frame, network: built.network,
                                                           transport: built.transport, isIPv6: false, protocol: 17))
    }

    @Test func rejectsBadUFOFrames() {
        let built = OffloadFrames.udpIPv4(body: OffloadFrames.payload(3000))
        #expect(Segmentation.run(built.bytes, kind: .udpFragments, gsoType: Self.ufo, size: 7).failure == .gsoSizeTooSmall)
        var wrongLength = built.bytes
        wrongLength.setBE16(100, at: built.transport + 4)
        #expect(Segmentation.run(wrongLength, kind: .udpFragments, gsoType: Self.ufo, size: 1480).failure
            == .inconsistentLength)
        let v6 = OffloadFrames.tcp(ipv6: true, payloadLength: 100).bytes
        #expect(Segmentation.run(v6, kind: .udpFragments, gsoType: Self.ufo, size: 1480).failure == .unsupportedOffload)
    }
}
