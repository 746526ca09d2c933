import Testing
import VhostTestFrontEnd
@testable import VhostUser

extension VhostUserTests {
@Suite struct Traffic {
    /// A deliberately naive device side (single-descriptor chains, no bounds beyond translation):
    /// enough to prove that the started rings' pointers and the memory table are the guest's.
    func echo(tx: RingConfiguration, rx: RingConfiguration, txNext: inout UInt16, rxNext: inout UInt16) throws {
        let mask = tx.size - 1
        while txNext != tx.availableRing.load(fromByteOffset: 2, as: UInt16.self) {
            let head = Int(tx.availableRing.load(fromByteOffset: 4 + 2 * (Int(txNext) & mask), as: UInt16.self))
            let d = tx.descriptorTable + 16 * head
            let len = Int(d.load(fromByteOffset: 8, as: UInt32.self))
            let src = try #require(tx.memory.pointer(guestPhysical: d.load(as: UInt64.self), length: len))
            let rxHead = Int(rx.availableRing.load(fromByteOffset: 4 + 2 * (Int(rxNext) & (rx.size - 1)), as: UInt16.self))
            let rd = rx.descriptorTable + 16 * rxHead
            let dst = try #require(rx.memory.pointer(guestPhysical: rd.load(as: UInt64.self), length: len))
            dst.copyMemory(from: src, byteCount: len)
            dst.storeBytes(of: UInt16(1), toByteOffset: 10, as: UInt16.self)  // num_buffers
            for (ring, id, written, slot) in [(rx, rxHead, len, rxNext), (tx, head, 0, txNext)] {
                let usedIdx = ring.usedRing.load(fromByteOffset: 2, as: UInt16.self)
                let e = ring.usedRing + 4 + 8 * (Int(usedIdx) & (ring.size - 1))
                e.storeBytes(of: UInt32(id), as: UInt32.self)
                e.storeBytes(of: UInt32(written), toByteOffset: 4, as: UInt32.self)
                ring.usedRing.storeBytes(of: usedIdx &+ 1, toByteOffset: 2, as: UInt16.self)
                _ = slot
            }
            txNext &+= 1
            rxNext &+= 1
        }
    }

    @Test func framesSentOnTheTransmitRingComeBackOnTheReceiveRing() throws {
        let s = try PairedSetup()
        try s.frontEnd.negotiate()
        try s.frontEnd.start()
        let tx = try #require(s.delegate.configurations[1])
        let rx = try #require(s.delegate.configurations[0])
        var txNext = tx.nextAvailableIndex, rxNext = rx.nextAvailableIndex
        let frames: [[UInt8]] = [Array(repeating: 0xAB, count: 60), Array(0..<200).map { UInt8($0) }]
        for f in frames { try s.frontEnd.send(frame: f) }
        #expect(tx.kick?.drain() ?? 0 > 0, "the front-end kicked the transmit ring")
        try echo(tx: tx, rx: rx, txNext: &txNext, rxNext: &rxNext)
        #expect(try s.frontEnd.receivedFrames() == frames)
        #expect(s.frontEnd.reclaimTransmitted() == 2)
        // GET_VRING_BASE reports where the datapath got to.
        s.delegate.stopIndex = txNext
        #expect(try s.frontEnd.stopRings() == [2, 2])
    }
}
}
