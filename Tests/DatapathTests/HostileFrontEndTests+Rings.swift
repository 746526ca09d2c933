#if canImport(Glibc)
import Glibc
#endif
@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd
import Virtio

/// Ring attacks (see `HostileFrontEndTests`): sizes, addresses, bases and indexes that cannot be
/// right, descriptor loops and runaway indexes.
extension HostileFrontEndTests {
    @Test func impossibleRingSizesBasesAndIndexesAreRefused() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "ring sizes") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            for size: UInt32 in [0, 3, 255, 32769, 65536, 0xFFFF_FFFF] {
                try expectRefused(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(0, size),
                                  "SET_VRING_NUM \(size)")
            }
            // Positive control: a power of two is taken, and so is the split ring's largest.
            try expectAccepted(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(0, 32768), "32768")
            try expectAccepted(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(0, 256), "256")
            // A running ring's size cannot change under the datapath.
            try expectRefused(x, code: FrontEndRequest.setVringNum.rawValue, payload: FrontEndWire.vringState(1, 128),
                              "SET_VRING_NUM on a running ring")
        }
        try survive(h, baseline: baseline, "ring bases") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            try expectRefused(x, code: FrontEndRequest.setVringBase.rawValue, payload: FrontEndWire.vringState(0, 0x1_0000),
                              "a base with packed-ring bits")
            try expectAccepted(x, code: FrontEndRequest.setVringBase.rawValue, payload: FrontEndWire.vringState(0, 0xFFFF),
                               "any 16-bit base (indexes are free-running)")
        }
        try survive(h, baseline: baseline, "GET_VRING_BASE on rings never started", setup: .negotiated) { x in
            for ring in 0..<2 {
                let state = try x.request(.getVringBase, FrontEndWire.vringState(ring, 0), expectReply: true)?.vringState
                #expect(state?.index == UInt32(ring) && state?.num == 0)
            }
        }
        try survive(h, baseline: baseline, "ring indexes beyond the queues") { x in
            for (code, payload) in [(FrontEndRequest.setVringNum, FrontEndWire.vringState(2, 256)),
                                    (.setVringBase, FrontEndWire.vringState(255, 0)),
                                    (.setVringEnable, FrontEndWire.vringState(2, 1)),
                                    (.setVringAddr, FrontEndWire.vringAddress(5, desc: 0, used: 0, avail: 0))] {
                try expectRefused(x, code: code.rawValue, payload: payload, "\(code) on ring beyond the queues")
            }
            let event = try EventFD()
            for code in [FrontEndRequest.setVringKick, .setVringCall, .setVringErr] {
                try expectRefused(x, code: code.rawValue, payload: FrontEndWire.u64(200), fds: [event.rawValue], "\(code) ring 200")
            }
            expectNoCopiesLeft(of: event.rawValue, "eventfds for ring 200")
            try expectRefused(x, code: FrontEndRequest.setVringEnable.rawValue, payload: FrontEndWire.vringState(0, 2),
                              "enable value 2")
            // GET_VRING_BASE always replies, so a refusal closes the connection.
            try expectRefused(x, code: FrontEndRequest.getVringBase.rawValue, payload: FrontEndWire.vringState(9, 0),
                              ack: false, "GET_VRING_BASE ring 9")
        }
        expectAccountingAddsUp(h.engine)
    }

    @Test func ringAddressesOutsideMemoryOrMisalignedAreRefused() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "ring addresses") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            let r = x.rings[0]
            let (d, a, u) = (r.descriptorTable.uva, r.availableRing.uva, r.usedRing.uva)
            let last = x.ram.regions.map { $0.userspaceAddress + UInt64($0.size) }.max()!
            let bad: [(String, UInt64, UInt64, UInt64)] = [
                ("descriptor table misaligned", d + 8, u, a),
                ("available ring misaligned", d, u, a + 1),
                ("used ring misaligned", d, u + 2, a),
                ("descriptor table outside memory", 0xDEAD_0000, u, a),
                ("used ring running past the region's end", d, (last - 16) & ~3, a),
                ("available ring at the top of the address space", d, u, UInt64.max - 1),
            ]
            for (what, desc, used, avail) in bad {
                try expectRefused(x, code: FrontEndRequest.setVringAddr.rawValue,
                                  payload: FrontEndWire.vringAddress(0, desc: desc, used: used, avail: avail), what)
            }
            try expectRefused(x, code: FrontEndRequest.setVringAddr.rawValue,
                              payload: FrontEndWire.vringAddress(0, desc: d, used: u, avail: a, flags: 0x2), "unknown flags")
            // Positive control: the real addresses are taken.
            try expectAccepted(x, code: FrontEndRequest.setVringAddr.rawValue,
                               payload: FrontEndWire.vringAddress(0, desc: d, used: u, avail: a), "the ring's own addresses")
        }
        // The used ring laid over the descriptor table of the same ring: legal addresses, guest's
        // own memory; the engine writes used entries over descriptors it then reads (checked).
        try survive(h, baseline: baseline, "used ring over the descriptor table") { x in
            _ = try x.request(.getVringBase, FrontEndWire.vringState(0, 0), expectReply: true)
            let r = x.rings[0]
            try expectAccepted(x, code: FrontEndRequest.setVringAddr.rawValue,
                               payload: FrontEndWire.vringAddress(0, desc: r.descriptorTable.uva, used: r.descriptorTable.uva,
                                                                  avail: r.availableRing.uva), "overlapping rings")
            try x.request(.setVringKick, FrontEndWire.u64(0), fds: [r.kick.rawValue], ack: true)
            try x.request(.setVringCall, FrontEndWire.u64(0), fds: [r.call.rawValue], ack: true)
            for i in 0..<40 {
                try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 64 + i))
            }
            _ = try h.receive("b", expected: 40)
        }
        expectAccountingAddsUp(h.engine)
    }

    /// Writes descriptor `index` of `ring` raw and publishes it as the next available head.
    func publishRaw(_ x: TestFrontEnd, ring: Int, descriptors: [(index: Int, address: UInt64, length: UInt32, flags: UInt16, next: UInt16)],
                    head: Int) {
        let r = x.rings[ring]
        for d in descriptors {
            r.setDescriptor(UInt16(d.index), address: d.address, length: d.length, flags: d.flags, next: d.next)
        }
        r.makeAvailable(head: UInt16(head))
        r.kick.signal()
    }

    /// Frames the engine refused from x's TX ring as malformed or too long.
    func refusedChains(_ h: SwitchHarness) throws -> UInt64 {
        let c = try h.counters("x")
        return c.receiveDrops(.malformedDescriptor) + c.receiveDrops(.chainTooLong)
    }

    @Test func descriptorLoopsAndRunawayIndexesCostOnlyTheirOwnRing() throws {
        let (h, baseline) = try harness()
        let next = SplitRing.descriptorFlagNext
        let indirect = SplitRing.descriptorFlagIndirect
        try survive(h, baseline: baseline, "a chain that loops onto itself") { x in
            let size = x.rings[1].size
            let before = try refusedChains(h)
            let buffer = try x.ram.allocate(64, region: 0)
            publishRaw(x, ring: 1, descriptors: [(size - 1, buffer.gpa, 64, next, UInt16(size - 2)),
                                                 (size - 2, buffer.gpa, 64, next, UInt16(size - 1))], head: size - 1)
            try expectSwitching(h, "while x loops")
            #expect(try refusedChains(h) == before + 1, "the loop is one refused chain")
        }
        try survive(h, baseline: baseline, "indirect tables that nest or loop") { x in
            let size = x.rings[1].size
            let before = try refusedChains(h)
            let inner = try x.ram.allocate(32, alignment: 16, region: 0)
            let outer = try x.ram.allocate(32, alignment: 16, region: 0)
            let buffer = try x.ram.allocate(64, region: 0)
            func entry(_ block: GuestRAM.Block, _ i: Int, _ address: UInt64, _ length: UInt32, _ flags: UInt16, _ nxt: UInt16) {
                let p = block.pointer + 16 * i
                p.storeBytes(of: address, toByteOffset: 0, as: UInt64.self)
                p.storeBytes(of: length, toByteOffset: 8, as: UInt32.self)
                p.storeBytes(of: flags, toByteOffset: 12, as: UInt16.self)
                p.storeBytes(of: nxt, toByteOffset: 14, as: UInt16.self)
            }
            // outer: entry 0 points at another indirect table (nesting is forbidden).
            entry(outer, 0, inner.gpa, 32, indirect, 0)
            // inner: two entries that chain to each other forever.
            entry(inner, 0, buffer.gpa, 64, next, 1)
            entry(inner, 1, buffer.gpa, 64, next, 0)
            publishRaw(x, ring: 1, descriptors: [(size - 1, outer.gpa, 32, indirect, 0)], head: size - 1)
            try expectSwitching(h, "after a nested indirect table")
            publishRaw(x, ring: 1, descriptors: [(size - 2, inner.gpa, 32, indirect, 0)], head: size - 2)
            try expectSwitching(h, "after a looping indirect table")
            // An indirect table whose length is not a whole number of entries.
            publishRaw(x, ring: 1, descriptors: [(size - 3, inner.gpa, 24, indirect, 0)], head: size - 3)
            try expectSwitching(h, "after a ragged indirect table")
            #expect(try refusedChains(h) == before + 3)
        }
        try survive(h, baseline: baseline, "malformed TX chains") { x in
            let size = x.rings[1].size
            let before = try h.counters("x")
            let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 64)
            let bytes = [UInt8](repeating: 0, count: x.netHeaderLength) + frame
            let buffer = try x.ram.allocate(bytes.count, region: 0)
            bytes.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let write: UInt16 = 2
            let attacks: [(String, (Int, UInt64, UInt32, UInt16, UInt16))] = [
                ("a device-writable TX buffer", (size - 1, buffer.gpa, UInt32(bytes.count), write, 0)),
                ("a buffer of 4 GiB - 1", (size - 2, buffer.gpa, 0xFFFF_FFFF, 0, 0)),
                ("shorter than the virtio-net header", (size - 3, buffer.gpa, 4, 0, 0)),
                ("a header and 5 bytes of frame", (size - 4, buffer.gpa, UInt32(x.netHeaderLength + 5), 0, 0)),
                ("an address outside guest memory", (size - 5, 0x7777_0000_0000, UInt32(bytes.count), 0, 0)),
            ]
            for (what, d) in attacks {
                publishRaw(x, ring: 1, descriptors: [d], head: d.0)
                try expectSwitching(h, "after \(what)")
            }
            let after = try h.counters("x")
            #expect(after.totalReceiveDrops - before.totalReceiveDrops == UInt64(attacks.count),
                    "each malformed chain is one counted drop: \(after.receiveDrops) vs \(before.receiveDrops)")
            #expect(after.forwarded == before.forwarded && after.flooded == before.flooded, "none was switched")
        }
        try survive(h, baseline: baseline, "RX ring disabled while traffic comes") { x in
            try expectAccepted(x, code: FrontEndRequest.setVringEnable.rawValue, payload: FrontEndWire.vringState(0, 0),
                               "disable RX")
            let flood = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 97)
            try h.frontEnd("a").send(frame: flood)
            #expect(try h.receive("b", expected: 1) == [flood])
            #expect(try h.receive(by: x, expected: 0, timeout: 0.2).isEmpty, "nothing into a disabled ring")
            expectAccountingAddsUp(h.engine)
            // Positive control: enabled again, it receives.
            try expectAccepted(x, code: FrontEndRequest.setVringEnable.rawValue, payload: FrontEndWire.vringState(0, 1),
                               "enable RX")
            try h.frontEnd("a").send(frame: flood)
            #expect(try h.receive("b", expected: 1) == [flood])
            #expect(try h.receive(by: x, expected: 1) == [flood])
        }
        try survive(h, baseline: baseline, "an available index that jumps past the ring size") { x in
            let errors = try x.installErrorNotifier(ring: 1)
            // Positive control first: x's TX ring works.
            let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 66)
            try x.send(frame: fromX)
            #expect(try h.receive("a", expected: 1) == [fromX])
            _ = try h.receive("b", expected: 1)
            let r = x.rings[1]
            r.forceAvailIndex(r.availableIndex &+ UInt16(r.size) &+ 1000)
            r.kick.signal()
            try expectSwitching(h, "while x's index runs away")
            // The queue stopped itself; the port shows it (within a housekeeping second) and
            // signals its error eventfd, and a flood no longer goes into its rings.
            #expect(try waitForState(h, "x", "broken (ring-broken)") == "broken (ring-broken)")
            #expect(errors.drain() >= 1, "SET_VRING_ERR signalled")
            _ = try h.receive(by: x, expected: 0, timeout: 0.1)  // floods from before the break
            let flood = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 99)
            try h.frontEnd("a").send(frame: flood)
            #expect(try h.receive("b", expected: 1) == [flood])
            #expect(try h.receive(by: x, expected: 0, timeout: 0.2).isEmpty)
        }
        expectAccountingAddsUp(h.engine)
    }
}
