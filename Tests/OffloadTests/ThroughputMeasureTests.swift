import Testing
import Virtio
@testable import Offload

/// Micro-measures, not timed tests: they print throughput for the record and assert only the
/// results. Numbers from `swift test` are debug builds; see the report for release numbers.
@Suite struct ThroughputMeasureTests {
    @Test func measuresChecksumThroughputOn64KiB() throws {
        let bytes = OffloadFrames.payload(65536)
        let rounds = 2000
        var results = Set<UInt16>()
        let clock = ContinuousClock()
        let elapsed = try bytes.withUnsafeBytes { raw in
            let base = try #require(raw.baseAddress)
            return clock.measure {
                for _ in 0..<rounds { results.insert(Checksum.sum(base, count: raw.count)) }
            }
        }
        #expect(results == [ReferenceChecksum.sum(bytes)])
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("measured: checksum 64 KiB: \(Int(Double(rounds * bytes.count) / seconds / 1e6)) MB/s")
    }

    @Test func measuresSegmentationThroughputOn64KiBFrame() throws {
        var frame = OffloadFrames.tcp(ipv6: false, payloadLength: 65495).bytes
        let rounds = 100
        var output = [UInt8](repeating: 0, count: 1502)
        var produced = 0
        let clock = ContinuousClock()
        let elapsed = try frame.withUnsafeMutableBytes { raw in
            let request = SegmentationRequest(kind: .tcp, gsoType: VirtioNetHeader.gsoTCPv4, segmentSize: 1448,
                                              checksumMode: .full)
            return try output.withUnsafeMutableBytes { out in
                let start = try SoftwareSegmenter.start(frame: UnsafeRawBufferPointer(raw), request: request).get()
                return clock.measure {
                    for _ in 0..<rounds {
                        var segmenter = start
                        while let n = segmenter.next(into: out) { produced += n }
                    }
                }
            }
        }
        #expect(produced == rounds * (65495 + 46 * 54))
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("measured: TSO 64 KiB -> 46 x 1448, full checksum: \(Int(Double(rounds * 65495) / seconds / 1e6)) MB/s payload")
    }
}
