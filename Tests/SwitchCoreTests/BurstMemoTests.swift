import Testing
import SwitchCore

/// `decide` remembers the FDB slots of the previous frame's source and destination within a
/// burst. Whatever learning does mid-burst (moves, inserts, evictions that shift entries, limit
/// refusals), a burst must decide and learn exactly as the same frames one at a time.
@Suite struct BurstMemoTests {
    private func engine(capacity: Int, limit: Int?) throws -> Bridge {
        let e = makeEngine(capacity: capacity, maxPorts: 8)
        for p: UInt16 in 1...4 { try e.addPort(p, name: "p\(p)", mode: .access(vlan: 1), macLimit: p == 4 ? limit : nil) }
        return e
    }

    private func decideBurst(_ e: Bridge, _ frames: [FrameHeader], on port: UInt16,
                             now: UInt32) -> [ForwardingDecision] {
        var out = [ForwardingDecision](repeating: .drop(.runt), count: frames.count)
        frames.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { d in
                guard let fp = f.baseAddress, let dp = d.baseAddress else { return }
                e.decide(ingress: port, frames: fp, count: f.count, into: dp, now: now)
            }
        }
        return out
    }

    private func sameState(_ a: Bridge, _ b: Bridge, now: UInt32) -> Bool {
        let key = { (e: FDBEntry) in (UInt64(e.vlan) << 48) | e.mac.rawValue }
        return a.fdb.entries(now: now).sorted { key($0) < key($1) } == b.fdb.entries(now: now).sorted { key($0) < key($1) }
            && (1...4).allSatisfy { a.counters(port: UInt16($0)) == b.counters(port: UInt16($0)) }
            && a.fdb.statistics == b.fdb.statistics
    }

    @Test(arguments: [(capacity: 8192, limit: Int?.none), (capacity: 6, limit: Int?.none), (capacity: 16, limit: Int?(3))])
    func burstDecidesAndLearnsLikeFramesOneAtATime(capacity: Int, limit: Int?) throws {
        let burst = try engine(capacity: capacity, limit: limit)
        let single = try engine(capacity: capacity, limit: limit)
        var rng = SplitMix64(state: UInt64(capacity) &* 31 &+ UInt64(limit ?? 0))
        for round in 0..<300 {
            let port = UInt16.random(in: 1...4, using: &rng)
            let now = UInt32(round / 10)
            // Few stations, runs of one source and one destination, so memo hits, misses and
            // stale memos (after moves and evictions) all happen inside bursts.
            var frames: [FrameHeader] = []
            var source = station(Int.random(in: 0..<12, using: &rng))
            var destination = station(Int.random(in: 0..<12, using: &rng))
            for _ in 0..<Int.random(in: 1...32, using: &rng) {
                if Int.random(in: 0..<4, using: &rng) == 0 { source = station(Int.random(in: 0..<12, using: &rng)) }
                if Int.random(in: 0..<4, using: &rng) == 0 { destination = station(Int.random(in: 0..<12, using: &rng)) }
                frames.append(frame(from: source, to: destination))
            }
            let decided = decideBurst(burst, frames, on: port, now: now)
            let expected = frames.map { single.decide(ingress: port, frame: $0, now: now) }
            #expect(decided == expected, "round \(round)")
            #expect(sameState(burst, single, now: now), "round \(round)")
        }
    }

    @Test func sourceMovingMidBurstIsLearnedOnTheNewPortAndForwardedThere() throws {
        let e = try engine(capacity: 8192, limit: nil)
        e.send(frame(from: station(1), to: .broadcast), on: 1)
        e.send(frame(from: station(2), to: .broadcast), on: 2)
        // A burst on port 3 from station 2 (moved) to station 1, then back-to-back frames to 2.
        let frames = [frame(from: station(2), to: station(1)), frame(from: station(2), to: station(1)),
                      frame(from: station(3), to: station(2)), frame(from: station(3), to: station(2))]
        let d = decideBurst(e, frames, on: 3, now: 1)
        #expect(d.map(\.action) == [.unicast(1), .unicast(1), .drop(.samePort), .drop(.samePort)])
        #expect(e.fdb.lookup(vlan: 1, mac: station(2)) == 3)
    }

    @Test func repeatedFramesWhoseLearningIsRefusedAreCountedEveryTime() throws {
        let e = try engine(capacity: 2, limit: 2)
        try e.fdb.addStatic(vlan: 1, mac: station(100), port: 1)
        try e.fdb.addStatic(vlan: 1, mac: station(101), port: 2)
        // Table full of static entries: each frame's learn fails and is counted.
        let full = [FrameHeader](repeating: frame(from: station(1), to: station(100)), count: 5)
        #expect(decideBurst(e, full, on: 3, now: 1).map(\.action) == [ForwardingDecision.Action](repeating: .unicast(1), count: 5))
        #expect(e.fdb.statistics.learnFailures == 5)
    }

    @Test func repeatedFramesOverTheMACLimitAreAllDroppedAndCounted() throws {
        let e = try engine(capacity: 64, limit: 1)
        let frames = [frame(from: station(1), to: station(9))]
            + [FrameHeader](repeating: frame(from: station(2), to: station(9)), count: 4)
        let d = decideBurst(e, frames, on: 4, now: 1)
        #expect(d.map(\.action) == [.flood] + [ForwardingDecision.Action](repeating: .drop(.macLimit), count: 4))
        #expect(e.fdb.statistics.limitRefusals == 4)
        #expect(e.counters(port: 4)?.receiveDrops(.macLimit) == 4)
    }
}
