import Testing
import SwitchCore

@Suite struct CounterTests {
    @Test func receivedEqualsForwardedPlusFloodedPlusDropsUnderAMixedBurst() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "trunk", mode: .trunk(allowed: VLANSet([10, 20]), native: nil), macLimit: 3)
        try engine.addPort(2, name: "a10", mode: .access(vlan: 10))
        try engine.addPort(3, name: "a20", mode: .access(vlan: 20))
        engine.send(frame(from: station(2), to: .broadcast), on: 2)
        var rng = SplitMix64(state: 77)
        var burst: [FrameHeader] = []
        for _ in 0..<32 {
            let destinations = [station(2), station(Int(rng.next() % 8)), .broadcast, multicastGroup, stpAddress]
            let sources = [station(Int(rng.next() % 8)), multicastGroup]
            let vids: [UInt16?] = [nil, 0, 10, 20, 30]
            var f = frame(from: sources[Int(rng.next() % 2)], to: destinations[Int(rng.next() % 5)],
                          vid: vids[Int(rng.next() % 5)], length: UInt32(60 + rng.next() % 1400))
            if rng.next() % 10 == 0 { f.length = 10 }
            burst.append(f)
        }
        var decisions = [ForwardingDecision](repeating: .flood(vlan: 0), count: 32)
        burst.withUnsafeBufferPointer { frames in
            decisions.withUnsafeMutableBufferPointer { out in
                engine.decide(ingress: 1, frames: frames.baseAddress!, count: 32, into: out.baseAddress!, now: 1)
            }
        }
        let c = try #require(engine.counters(port: 1))
        #expect(c.receivedFrames == 32)
        #expect(c.receivedBytes == burst.reduce(0) { $0 + UInt64($1.length) })
        #expect(c.forwarded == UInt64(decisions.filter { $0.kind == .unicast }.count))
        #expect(c.flooded == UInt64(decisions.filter { $0.kind == .flood }.count))
        for reason in DropReason.allCases {
            #expect(c.receiveDrops(reason) == UInt64(decisions.filter { $0.action == .drop(reason) }.count))
        }
        #expect(c.receiveSideBalances)
        #expect(c.totalReceiveDrops > 0 && c.flooded > 0)
    }

    @Test func datapathDropsKeepTheIdentity() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "a", mode: .access(vlan: 1))
        try engine.addPort(2, name: "b", mode: .access(vlan: 1))
        engine.send(frame(from: station(1), to: .broadcast), on: 1)
        engine.recordReceiveDrop(port: 1, reason: .malformedDescriptor, frames: 2, bytes: 0)
        engine.recordReceiveDrop(port: 1, reason: .oversize, frames: 1, bytes: 70000)
        // The flood's single copy: the datapath delivers it to port 2 or drops it there.
        engine.recordTransmitDrop(port: 2, reason: .rxRingFull)
        engine.recordTransmit(port: 2, frames: 3, bytes: 192)
        let a = try #require(engine.counters(port: 1))
        #expect(a.receivedFrames == 4 && a.flooded == 1 && a.receiveDrops(.malformedDescriptor) == 2)
        #expect(a.receiveSideBalances)
        let b = try #require(engine.counters(port: 2))
        #expect(b.transmittedFrames == 3 && b.transmittedBytes == 192)
        #expect(b.transmitDrops(.rxRingFull) == 1 && b.totalReceiveDrops == 0)
        #expect(engine.totalDrops() == [.malformedDescriptor: 2, .oversize: 1, .rxRingFull: 1])
    }

    /// An uplink counts a staged frame as transmitted; when the kernel refuses it at flush it
    /// moves to `tx-error`, so the copy is counted once (it used to be counted under both).
    @Test func aTransmitLostAfterItWasCountedMovesToItsReason() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "guest", mode: .access(vlan: 1))
        try engine.addPort(2, name: "uplink", mode: .access(vlan: 1))
        engine.recordTransmit(port: 2, frames: 5, bytes: 500)
        engine.recordTransmitLost(port: 2, reason: .txError, frames: 2, bytes: 180)
        let c = try #require(engine.counters(port: 2))
        #expect(c.transmittedFrames == 3 && c.transmittedBytes == 320)
        #expect(c.transmitDrops(.txError) == 2)
        #expect(c.transmittedFrames + c.totalTransmitDrops == 5, "five copies, each counted once")
        // More lost than counted (cannot happen; never wraps below zero).
        engine.recordTransmitLost(port: 2, reason: .txError, frames: 10, bytes: 10_000)
        let d = try #require(engine.counters(port: 2))
        #expect(d.transmittedFrames == 0 && d.transmittedBytes == 0 && d.transmitDrops(.txError) == 12)
    }

    @Test func dropReasonsHaveUniqueKebabCaseNames() {
        let names = DropReason.allCases.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names {
            #expect(name.allSatisfy { $0 == "-" || ($0.isLetter && $0.isLowercase) })
            #expect(DropReason(name: name)?.name == name)
        }
        for required in ["rx-ring-full", "malformed-descriptor", "mtu-exceeded", "port-down", "tx-error", "oversize",
                         "mac-limit", "vlan-tagged-on-access", "untagged-on-trunk", "vlan-not-allowed",
                         "multicast-source", "link-local", "runt"] {
            #expect(DropReason(name: required) != nil, "missing \(required)")
        }
        #expect(MemoryLayout<DropReason>.size == 1)
    }

    @Test func snapshotsCarryConfigurationStateAndCounters() throws {
        let engine = makeEngine()
        try engine.addPort(4, name: "vm-a", mode: .access(vlan: 7), macLimit: 16)
        try engine.addPort(2, name: "uplink", mode: .trunk(allowed: VLANSet([7]), native: nil), isUp: false)
        engine.send(frame(from: station(1), to: .broadcast), on: 4)
        let snapshots = engine.portSnapshots()
        #expect(snapshots.map(\.index) == [2, 4])
        #expect(snapshots[0].name == "uplink" && !snapshots[0].isUp && snapshots[0].macLimit == nil)
        #expect(snapshots[1].mode == .access(vlan: 7) && snapshots[1].macLimit == 16)
        #expect(snapshots[1].fdbEntries == 1 && snapshots[1].counters.flooded == 1)
    }
}
