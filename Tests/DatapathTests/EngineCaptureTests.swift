import Datapath
import Foundation
import SwitchCore
import Testing

/// Live capture in the engine (docs/capture.md): copies into a capture's ring, by port,
/// direction and VLAN, with the bytes as sent and as delivered; a full ring loses copies, never
/// frames.
@Suite(.serialized) struct EngineCaptureTests {
    private static let trunk = PortMode.trunk(allowed: VLANSet([10, 20]), native: 1)

    /// Everything in `ring` now: (direction, bytes, original length).
    private func drain(_ ring: CaptureRing) -> [(CaptureDirection, [UInt8], Int)] {
        var frames: [(CaptureDirection, [UInt8], Int)] = []
        while let f = ring.peek() {
            frames.append((f.direction, Array(f.bytes), f.originalLength))
            ring.release()
        }
        return frames
    }

    private func start(_ h: SwitchHarness, _ port: String, _ directions: CaptureDirections = .both, vlan: UInt16? = nil,
                       ring: CaptureRing = CaptureRing(snaplen: 2048)) throws -> CaptureRing {
        try h.engine.perform { $0.startCapture(port: port, directions: directions, vlan: vlan, into: ring) }.get().get()
        return ring
    }

    @Test func capturesBothDirectionsOfATrunkWithTheTagAsSentAndAsDelivered() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("t", EngineCaptureTests.trunk)])
        for p in ["a", "t"] { try h.connect(p) }
        let ring = try start(h, "t")
        // Access to trunk: delivered with the tag the switch pushed.
        let untagged = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 100)
        try h.frontEnd("a").send(frame: untagged)
        #expect(try h.receive("t", expected: 1) == [HarnessFrames.tag(untagged, vlan: 10)])
        // Trunk to access: captured as the trunk sent it, tag and priority included.
        let tagged = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(9), vlan: 10, pcp: 5, length: 200)
        try h.frontEnd("t").send(frame: tagged)
        #expect(try h.receive("a", expected: 1) == [HarnessFrames.untag(tagged)])

        let frames = drain(ring)
        #expect(frames.count == 2)
        #expect(frames.first?.0 == .sent && frames.first?.1 == HarnessFrames.tag(untagged, vlan: 10))
        #expect(frames.first?.2 == 104)
        #expect(frames.last?.0 == .received && frames.last?.1 == tagged && frames.last?.2 == 200)
        #expect(try h.engine.perform { $0.stopCapture(ring) }.get())
    }

    @Test func cutsFramesToTheSnaplenAndKeepsTheirLength() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        for p in ["a", "b"] { try h.connect(p) }
        let ring = try start(h, "b", ring: CaptureRing(snaplen: 64))
        let long = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 1000)
        try h.frontEnd("a").send(frame: long)
        #expect(try h.receive("b", expected: 1) == [long])
        let frames = drain(ring)
        #expect(frames.count == 1 && frames.first?.1 == Array(long[0..<64]) && frames.first?.2 == 1000)
    }

    @Test func selectsByDirectionAndVLAN() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("c", .access(vlan: 20)), ("t", EngineCaptureTests.trunk)])
        for p in ["a", "c", "t"] { try h.connect(p) }
        let received = try start(h, "t", .received)
        let sent = try start(h, "t", .sent)
        let vlan20 = try start(h, "t", vlan: 20)
        let vlan10 = try start(h, "t", vlan: 10)
        let toTrunk = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 90)
        try h.frontEnd("a").send(frame: toTrunk)
        #expect(try h.receive("t", expected: 1).count == 1)
        let fromTrunk = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), vlan: 10, length: 120)
        try h.frontEnd("t").send(frame: fromTrunk)
        #expect(try h.receive("a", expected: 1).count == 1)

        #expect(drain(received).map(\.1) == [fromTrunk])
        #expect(drain(sent).map(\.1) == [HarnessFrames.tag(toTrunk, vlan: 10)])
        // VLAN 20 carried nothing; the same capture on VLAN 10 took both frames (positive control).
        #expect(drain(vlan20).isEmpty)
        #expect(drain(vlan10).count == 2)
        // The engine-wide limit, then room again after a stop.
        #expect(throws: CaptureStartError.tooMany(Engine.maximumCaptures)) { try self.start(h, "a") }
        #expect(try h.engine.perform { $0.stopCapture(vlan20) }.get())
        _ = try start(h, "a")
        #expect(throws: CaptureStartError.noSuchPort("nope")) {
            try h.engine.perform { $0.startCapture(port: "nope", directions: .both, vlan: nil, into: CaptureRing(snaplen: 64)) }.get().get()
        }
    }

    @Test func knowsWhenItsPortIsRemoved() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        let ring = try start(h, "b")
        // Positive control: the port is there.
        #expect(try h.engine.perform { $0.captureFollowsItsPort(ring) }.get())
        try h.engine.perform { $0.removePort(named: "b") }.get().get()
        #expect(try !h.engine.perform { $0.captureFollowsItsPort(ring) }.get())
    }

    @Test func copiesNothingFromPortsNobodyCaptures() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("c", .access(vlan: 20))])
        for p in ["a", "b", "c"] { try h.connect(p) }
        let ring = try start(h, "c")
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 80)
        try h.frontEnd("a").send(frame: frame)
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2)))
        #expect(try h.receive("b", expected: 1) == [frame])
        #expect(try h.receive("a", expected: 1).count == 1)
        #expect(drain(ring).isEmpty)
        // Positive control: the captured port's own traffic is copied.
        let own = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(3), length: 70)
        try h.frontEnd("c").send(frame: own)
        _ = try h.receive("c", expected: 0, timeout: 0.2)
        #expect(drain(ring).map(\.1) == [own])
    }

    @Test func aFullRingCountsLostCopiesAndForwardsEveryFrame() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        for p in ["a", "b"] { try h.connect(p) }
        // Learn b so that a's frames go to b alone.
        try h.frontEnd("b").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2)))
        #expect(try h.receive("a", expected: 1).count == 1)
        let frames = (0..<400).map { i in
            HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 64 + i % 200)
        }
        func sendAll() throws -> Int {
            var delivered = 0
            for chunk in stride(from: 0, to: frames.count, by: 32) {
                for f in frames[chunk..<min(chunk + 32, frames.count)] { try h.frontEnd("a").send(frame: f) }
                delivered += try h.receive("b", expected: min(32, frames.count - chunk)).count
            }
            return delivered
        }
        // Positive control: the same traffic without a capture.
        #expect(try sendAll() == frames.count)
        let ring = try start(h, "b", .sent, ring: CaptureRing(snaplen: 64, memoryBudget: 0))
        #expect(ring.slotCount == 64)
        #expect(try sendAll() == frames.count)
        #expect(ring.lost == UInt64(frames.count - ring.slotCount))
        let kept = drain(ring)
        #expect(kept.count == ring.slotCount)
        #expect(kept.first.map { Array($0.1[0..<14]) } == Array(frames[0][0..<14]))
        #expect(try h.counters("b").transmittedFrames == UInt64(2 * frames.count))
    }
}
