import Datapath
import Foundation
import SwitchCore
import Testing
import VhostTestFrontEnd

/// What the engine asks of a guest's driver through the rings: which kicks it wants, the order in
/// which buffers come back, and the loop counters that say who is the slow side.
@Suite(.serialized) struct RingProtocolTests {
    private static let eventIndexBit: UInt64 = 1 << 29
    private static let inOrderBit: UInt64 = 1 << 35

    /// Waits until the device has published used.idx `count` on `ring`.
    private func waitForUsed(_ ring: DriverRing, reaching count: UInt16, timeout: Double = 2) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if ring.usedIndex == count { return true }
            usleep(1_000)
        }
        return false
    }

    @Test func receiveRingsNeverAskTheDriverToKickAfterARefill() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1)), ("c", .access(vlan: 1))])
        var noEventIndex = TestFrontEnd.Options()
        noEventIndex.driverFeatures &= ~Self.eventIndexBit
        try h.connect("a")
        let b = try h.connect("b")
        let c = try h.connect("c", options: noEventIndex)
        let eventBefore = b.rings[0].availEvent

        for n in 0..<8 {
            try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 60 + n))
        }
        #expect(try h.receive("b", expected: 8).count == 8)
        #expect(try h.receive("c", expected: 8).count == 8)

        // EVENT_IDX: avail_event stays where the ring started, so the driver's refills of the
        // buffers just used never cross it (a TX ring moves it while the engine sleeps).
        #expect(b.rings[0].usedIndex == 8)
        #expect(b.rings[0].availEvent == eventBefore, "RX avail_event must not follow the used buffers")
        // Without EVENT_IDX: VRING_USED_F_NO_NOTIFY on the RX ring.
        #expect(c.rings[0].usedFlags & 1 == 1, "RX ring must carry NO_NOTIFY")
    }

    @Test func inOrderIsNegotiatedAndEveryChainComesBackInTheOrderItWasMadeAvailable() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        var inOrder = TestFrontEnd.Options()
        inOrder.driverFeatures |= Self.inOrderBit
        let a = try h.connect("a", options: inOrder)
        let b = try h.connect("b", options: inOrder)
        #expect(a.ackedFeatures & Self.inOrderBit != 0 && b.ackedFeatures & Self.inOrderBit != 0)

        // b teaches the switch its MAC, then a sends a mix of good and bad chains to it.
        try b.send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(2)))
        #expect(try h.receive("a", expected: 1).count == 1)
        let tx = a.rings[1]
        let headerLength = a.netHeaderLength
        var posted: [UInt16] = []
        var good = 0
        for n in 0..<24 {
            let frame = [UInt8](repeating: 0, count: headerLength) + HarnessFrames.make(to: HarnessFrames.mac(2), from: HarnessFrames.mac(1), length: 60 + n)
            switch n % 6 {
            case 2:   // header only: no frame at all (malformed-descriptor)
                posted.append(try tx.post(length: headerLength, writable: false, contents: Array(frame.prefix(headerLength))))
            case 4:   // a device-writable buffer on a TX ring (malformed-descriptor)
                posted.append(try tx.post(length: frame.count, writable: true, contents: frame))
            default:
                posted.append(try tx.post(length: frame.count, writable: false, contents: frame))
                good += 1
            }
        }
        tx.kick.signal()
        #expect(waitForUsed(tx, reaching: 24), "every chain, good or bad, is returned")
        var returned: [UInt16] = []
        while let (id, _) = tx.popUsed() { returned.append(id) }
        #expect(returned == posted, "TX chains return in avail order")

        // b's RX buffers were made available as descriptors 0, 1, 2, ... at ring start.
        let rx = b.rings[0]
        #expect(waitForUsed(rx, reaching: UInt16(good)))
        var used: [UInt16] = []
        while let (id, _) = rx.popUsed() { used.append(id) }
        #expect(used == (0..<UInt16(good)).map { $0 }, "RX buffers are used in avail order")
        #expect(try h.counters("a").receiveDrops(.malformedDescriptor) == 8)
    }

    @Test func theLoopCountsItsTurnsBurstsAndFrames() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        try h.connect("a")
        try h.connect("b")
        for n in 0..<10 {
            try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 60 + n))
        }
        #expect(try h.receive("b", expected: 10).count == 10)
        let l = try h.engine.perform { $0.loopCounters }.get()
        #expect(l.frames == 10)
        #expect(l.bursts >= 1 && l.bursts <= 10)
        #expect(l.busyTurns >= 1 && l.busyTurns <= l.bursts)
        #expect(l.turns > l.busyTurns, "an engine with nothing to do still turns")
        #expect(l.backloggedBursts <= l.bursts)
        #expect(l.burstLimit == 32)
    }
}
