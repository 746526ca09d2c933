import Testing
@testable import Offload

@Suite struct ChecksumTests {
    /// Captured on a veth pair with TX checksum offload off, so the kernel computed both checksums
    /// in software: TCP SYN 192.0.2.1:48726 → 192.0.2.2:8080 (IP 0x37e7, TCP 0x86f9).
    static let capturedSYN = OffloadFrames.hex("""
        6646 b962 0aec 5a9d a941 c638 0800 4500 003c 7ed1 4000 4006 37e7 c000 0201 c000
        0202 be56 1f90 f691 bbe7 0000 0000 a002 faf0 86f9 0000 0204 05b4 0402 080a 8e56
        2358 0000 0000 0103 030a
        """)
    /// Same capture: UDP 192.0.2.1:35351 → 192.0.2.2:9999 "hello-udp\\n" (IP 0xcb47, UDP 0xa131).
    static let capturedUDP = OffloadFrames.hex("""
        6646 b962 0aec 5a9d a941 c638 0800 4500 0026 eb7b 4000 4011 cb47 c000 0201 c000
        0202 8a17 270f 0012 a131 6865 6c6c 6f2d 7564 700a
        """)

    func sum(_ bytes: [UInt8], offset: Int = 0, initial: UInt16 = 0) -> UInt16 {
        // Copy to an arbitrary offset so unaligned starts are exercised.
        var buffer = [UInt8](repeating: 0xA5, count: offset) + bytes + [0x5A, 0x5A]
        return buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            return Checksum.sum(base + offset, count: bytes.count, initial: initial)
        }
    }

    @Test func matchesRFC1071Example() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        #expect(sum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0xDDF2)
        #expect(sum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7], offset: 3) == 0xDDF2)
    }

    @Test func matchesReferenceForEveryLengthAndAlignment() {
        let data = OffloadFrames.payload(300).map { $0 ^ 0xC7 }
        for length in 0...200 {
            for offset in 0..<4 {
                let bytes = Array(data[0..<length])
                #expect(sum(bytes, offset: offset) == ReferenceChecksum.sum(bytes), "length \(length) offset \(offset)")
            }
        }
    }

    @Test func carriesAroundOnAllOnesData() {
        // Every 64-bit add overflows: end-around carries must not be lost.
        let bytes = [UInt8](repeating: 0xFF, count: 1000) + [0x00, 0x01]
        #expect(sum(bytes) == ReferenceChecksum.sum(bytes))
        #expect(sum([UInt8](repeating: 0xFF, count: 65536)) == 0xFFFF)
    }

    @Test func continuesFromAnInitialSum() {
        let a = OffloadFrames.payload(64)
        let b = OffloadFrames.payload(37).map { $0 &+ 9 }
        #expect(sum(b, offset: 1, initial: sum(a)) == ReferenceChecksum.sum(a + b))
        #expect(Checksum.combine(sum(a), sum(b)) == ReferenceChecksum.sum(a + b))
    }

    @Test func verifiesCapturedIPv4HeaderAndComputesItsChecksum() throws {
        var frame = Self.capturedSYN
        frame.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            #expect(Checksum.isValidIPv4Header(base + 14, headerLength: 20))
            Checksum.fillIPv4HeaderChecksum(base + 14, headerLength: 20)
        }
        #expect(frame.be16(24) == 0x37E7)
    }

    @Test func computesCapturedTCPSYNChecksumFromPseudoHeader() {
        var frame = Self.capturedSYN
        let tcpLength = frame.count - 34
        let computed: UInt16 = frame.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            base.storeBytes(of: UInt16(0), toByteOffset: 34 + 16, as: UInt16.self)
            let pseudo = Checksum.pseudoHeaderSumIPv4(ipv4Header: base + 14, protocol: 6, upperLayerLength: tcpLength)
            return Checksum.internetChecksum(base + 34, count: tcpLength, initial: pseudo)
        }
        #expect(computed == 0x86F9)
    }

    @Test func completesPartialChecksumOfCapturedPackets() {
        for (captured, field, proto) in [(Self.capturedSYN, 16, UInt8(6)), (Self.capturedUDP, 6, UInt8(17))] {
            var frame = captured
            let expected = frame.be16(34 + field)
            let pseudo = ReferenceChecksum.sum(ReferenceChecksum.pseudoHeader(
                frame: frame, network: 14, isIPv6: false, protocol: proto, length: frame.count - 34))
            frame.setBE16(pseudo, at: 34 + field)
            let done = frame.withUnsafeMutableBytes {
                Checksum.completePartialChecksum(frame: $0, checksumStart: 34, checksumOffset: field)
            }
            #expect(done)
            #expect(frame == captured, "expected \(expected)")
        }
    }

    @Test func computesIPv6PseudoHeaderLikeReference() {
        let built = OffloadFrames.tcp(ipv6: true, payloadLength: 1001)
        var frame = built.bytes
        let sum: UInt16 = frame.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            return Checksum.pseudoHeaderSumIPv6(ipv6Header: base + built.network, protocol: 6,
                                                upperLayerLength: 70000)
        }
        #expect(sum == ReferenceChecksum.sum(ReferenceChecksum.pseudoHeader(
            frame: frame, network: built.network, isIPv6: true, protocol: 6, length: 70000)))
    }

    @Test(arguments: [false, true])
    func partialCompletionEqualsFullRecomputationForTCP(ipv6: Bool) {
        for length in [0, 1, 2, 7, 100, 1447, 9001] {
            let partial = OffloadFrames.tcp(ipv6: ipv6, vlan: 7, payloadLength: length)
            let full = OffloadFrames.tcp(ipv6: ipv6, vlan: 7, payloadLength: length, fullChecksum: true)
            var frame = partial.bytes
            let done = frame.withUnsafeMutableBytes {
                Checksum.completePartialChecksum(frame: $0, checksumStart: partial.transport, checksumOffset: 16)
            }
            #expect(done)
            #expect(ReferenceChecksum.transportChecksumIsValid(frame: frame, network: partial.network,
                                                               transport: partial.transport, isIPv6: ipv6, protocol: 6))
            // 0x0000 and 0xFFFF are the same ones' complement zero; we store the latter.
            let expected = full.bytes.be16(full.transport + 16)
            #expect(frame.be16(partial.transport + 16) == (expected == 0 ? 0xFFFF : expected))
        }
    }

    @Test func storesAllOnesWhenUDPChecksumComputesToZero() throws {
        // Pick the last two body bytes so that the complete sum is 0xFFFF, i.e. checksum 0.
        var built = OffloadFrames.udpIPv4(body: OffloadFrames.payload(40) + [0, 0])
        var probe = built.bytes
        probe.setBE16(0, at: built.transport + 6)
        let partialSum = ReferenceChecksum.sum(ReferenceChecksum.pseudoHeader(
            frame: probe, network: built.network, isIPv6: false, protocol: 17, length: probe.count - built.transport)
            + Array(probe[built.transport...]))
        built.bytes.setBE16(~partialSum, at: built.bytes.count - 2)
        var frame = built.bytes
        #expect(ReferenceChecksum.transportChecksum(frame: frame, network: built.network, transport: built.transport,
                                                    checksumField: 6, isIPv6: false, protocol: 17) == 0)
        let done = frame.withUnsafeMutableBytes {
            Checksum.completePartialChecksum(frame: $0, checksumStart: built.transport, checksumOffset: 6)
        }
        #expect(done)
        #expect(frame.be16(built.transport + 6) == 0xFFFF)
        #expect(ReferenceChecksum.transportChecksumIsValid(frame: frame, network: built.network,
                                                           transport: built.transport, isIPv6: false, protocol: 17))
    }

    @Test(arguments: [(60, 0), (58, 1), (59, 0), (0, 59), (61, 0), (-1, 4), (4, -1)])
    func refusesChecksumFieldOutsideFrame(start: Int, offset: Int) {
        var frame = [UInt8](repeating: 0x11, count: 60)
        let done = frame.withUnsafeMutableBytes {
            Checksum.completePartialChecksum(frame: $0, checksumStart: start, checksumOffset: offset)
        }
        #expect(!done)
        #expect(frame == [UInt8](repeating: 0x11, count: 60))
    }
}
