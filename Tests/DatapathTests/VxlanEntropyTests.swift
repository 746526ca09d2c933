import Datapath
import Testing
import VhostTestFrontEnd

/// The UDP source port carries the inner flow (RFC 7348 §5): one flow keeps one port, another
/// flow gets another, all in 49152-65535.
@Suite(.serialized) struct VxlanEntropyTests {
    @Test func oneFlowKeepsItsSourcePortAndAnotherFlowMovesIt() throws {
        let s = try VxlanPortTests.Setup(remotes: [VxlanPortTests.remoteA])
        func udp(_ srcPort: UInt16) -> [UInt8] {
            var f = HarnessFrames.broadcast + VxlanPortTests.guestMAC + [0x08, 0x00]
            f += [0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 10, 1, 10, 0, 10, 2]
            f += [UInt8(srcPort >> 8), UInt8(srcPort & 0xFF), 0x13, 0x88, 0, 8, 0, 0]
            while f.count < 60 { f.append(0) }
            return f
        }
        var ports: [UInt16] = []
        for flow: UInt16 in [40000, 40000, 40001, 40002, 40003] {
            try s.h.frontEnd("g").send(frame: udp(flow))
            let d = try #require(s.a.receive(expected: 1).first)
            ports.append(d.sourcePort)
        }
        #expect(ports[0] == ports[1], "the same flow moved: \(ports)")
        #expect(Set(ports[1...]).count == 4, "four flows share source ports: \(ports)")
        #expect(ports.allSatisfy { $0 >= 49152 })
    }
}
