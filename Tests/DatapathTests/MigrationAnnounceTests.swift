import Datapath
import Foundation
import SwitchCore
import Testing
import VhostTestFrontEnd

/// The announcement after a live migration (docs/dirty-log.md, "Announce"): QEMU sends SEND_RARP
/// on the destination port when the guest did not take GUEST_ANNOUNCE.
@Suite struct MigrationAnnounceTests {
    func bridge<T>(_ h: SwitchHarness, _ body: @escaping (Bridge) -> T) throws -> T {
        try h.engine.perform { body($0.bridge) }.get()
    }

    func index(_ h: SwitchHarness, _ name: String) throws -> UInt16 {
        try #require(try h.engine.perform { $0.portIndex(named: name) }.get())
    }

    @Test func sendRARPMovesTheMACAtOnceAndFloodsARARPInItsVLANOnly() throws {
        // src and dst: the migrating guest's old and new ports; peer in the same VLAN; other in VLAN 20.
        let h = try SwitchHarness(ports: [("src", .access(vlan: 10)), ("dst", .access(vlan: 10)),
                                          ("peer", .access(vlan: 10)), ("other", .access(vlan: 20)),
                                          ("other2", .access(vlan: 20))])
        for p in ["src", "dst", "peer", "other", "other2"] { try h.connect(p) }
        let guest = HarnessFrames.mac(0x42)
        let address = MACAddress(guest[0], guest[1], guest[2], guest[3], guest[4], guest[5])
        // Before the move the guest talks on src: learned there.
        try h.frontEnd("src").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: guest))
        #expect(try h.receive("peer", expected: 1).count == 1)
        _ = try h.receive("dst", expected: 1)
        #expect(try bridge(h) { $0.fdb.lookup(vlan: 10, mac: address) } == index(h, "src"))

        // QEMU on the destination: SEND_RARP with the MAC in the u64's first six bytes.
        try h.frontEnd("dst").request(.sendRARP, guest + [0, 0])
        #expect(try bridge(h) { $0.fdb.lookup(vlan: 10, mac: address) } == index(h, "dst"), "the MAC moved to dst at once")
        for port in ["peer", "src"] {
            let rarp = try h.receive(port, expected: 1)
            #expect(rarp.count == 1, "\(port) in VLAN 10 hears the announcement")
            if let f = rarp.first {
                #expect(Array(f[0..<6]) == HarnessFrames.broadcast && Array(f[6..<12]) == guest)
                #expect(Array(f[12..<14]) == [0x80, 0x35] && f[21] == 3, "a RARP request (ethertype 0x8035, opcode 3)")
                #expect(Array(f[22..<28]) == guest && Array(f[32..<38]) == guest, "sender and target hardware address")
            }
        }
        #expect(try h.receivesNothing("other") && h.receivesNothing("other2"), "VLAN 20 does not hear it")
        // Positive control for that check: a RARP announced in VLAN 20 does reach `other`.
        try h.frontEnd("other2").request(.sendRARP, HarnessFrames.mac(0x20) + [0, 0])
        #expect(try h.receive("other", expected: 1).count == 1)
        #expect(try h.receivesNothing("peer"), "and not VLAN 10")

        // Traffic to the guest now goes to dst only.
        let toGuest = HarnessFrames.make(to: guest, from: HarnessFrames.mac(0x07))
        try h.frontEnd("peer").send(frame: toGuest)
        #expect(try h.receive("dst", expected: 1) == [toGuest])
        #expect(try h.receivesNothing("src"), "the old port no longer gets the guest's frames")
        expectAccountingAddsUp(h.engine)
    }
}
