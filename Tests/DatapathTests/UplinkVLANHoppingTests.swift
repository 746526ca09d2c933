import Datapath
import Foundation
import Glibc
import SwitchCore
import Testing
import VhostTestFrontEnd

/// The tag-stack rule on uplink ingress, through a real engine (docs/vlan-safety.md): frames
/// enter from the wire on a veth whose kernel strips the outer tag, the uplink restores it, and
/// a second tag behind it still gets the frame dropped as `vlan-stack` before any guest sees it.
/// Root needed (veth); the pair lives in our namespace, named "vlan<pid>" so parallel runs do not collide.
@Suite(.serialized) struct UplinkVLANHoppingTests {
    /// A veth pair: the engine's uplink on `a`, the test's raw AF_PACKET socket on `b`.
    final class WirePeer {
        let a: String
        let b: String
        let fd: Int32

        init() throws {
            guard getuid() == 0 else { throw Failure("veth interfaces need root (uid \(getuid()))") }
            let base = "vlan\(getpid() % 100_000)"
            a = base + "a"
            b = base + "b"
            _ = try? Self.ip(["link", "del", a])
            try Self.ip(["link", "add", a, "type", "veth", "peer", "name", b])
            for side in [a, b] {
                // Nothing of the host's own (IPv6 DAD, router solicitations) on the wire.
                _ = try? Self.tool("/usr/sbin/sysctl", ["-qw", "net.ipv6.conf.\(side).disable_ipv6=1"])
                try Self.ip(["link", "set", side, "up"])
            }
            let index = if_nametoindex(b)
            let s = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(UInt16(3).bigEndian))
            guard index > 0, s >= 0 else { throw Failure("packet socket on \(b): errno \(errno)") }
            // struct sockaddr_ll (20 bytes; Glibc's module does not export it): family, protocol
            // (ETH_P_ALL, big-endian), ifindex, then zeros.
            var address = [UInt8](repeating: 0, count: 20)
            address.withUnsafeMutableBytes { a in
                a.storeBytes(of: UInt16(AF_PACKET), toByteOffset: 0, as: UInt16.self)
                a.storeBytes(of: UInt16(3).bigEndian, toByteOffset: 2, as: UInt16.self)
                a.storeBytes(of: Int32(index), toByteOffset: 4, as: Int32.self)
            }
            let rc = address.withUnsafeBytes {
                bind(s, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(20))
            }
            guard rc == 0 else { close(s); throw Failure("bind \(b): errno \(errno)") }
            fd = s
        }

        func send(_ frame: [UInt8]) throws {
            let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n == frame.count else { throw Failure("send on \(b): errno \(errno)") }
        }

        deinit {
            close(fd)
            _ = try? Self.ip(["link", "del", a])
        }

        @discardableResult
        static func ip(_ arguments: [String]) throws -> String { try tool("/usr/sbin/ip", arguments) }

        @discardableResult
        static func tool(_ path: String, _ arguments: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: path)
                                  ? path : "/usr/bin/" + (path as NSString).lastPathComponent)
            p.arguments = arguments
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw Failure("\(path) \(arguments.joined(separator: " ")): \(out)") }
            return out
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Guests g10 (access 10) and g20 (access 20), both connected, and an uplink on a veth that
    /// trunks VLAN 20 with native VLAN 10.
    func nativeVLANTrunkUplink() throws -> (WirePeer, SwitchHarness) {
        let wire = try WirePeer()
        let h = try SwitchHarness(ports: [("g10", .access(vlan: 10)), ("g20", .access(vlan: 20))])
        let spec = PortSpecification(name: "up", kind: .uplink(interface: wire.a),
                                     vlan: .trunk(allowed: VLANSet([20]), native: 10), macLimit: nil, mtu: 1500)
        try h.engine.perform { $0.addPort(spec) }.get().get()
        try h.connect("g10")
        try h.connect("g20")
        return (wire, h)
    }

    @Test func doubleTaggedFramesFromTheWireReachNoGuestAndAreCounted() throws {
        // g10 sits on the uplink's native VLAN 10: a popped priority tag would expose VLAN 20.
        let (wire, h) = try nativeVLANTrunkUplink()
        let outside = [UInt8]([0x02, 0x77, 0x00, 0x00, 0x00, 0x09])
        func fromOutside(_ frames: [[UInt8]]) -> [[UInt8]] { frames.filter { Array($0[6..<12]) == outside } }

        // Positive control first, until the uplink is up: one priority-tagged frame, VLAN 10.
        let legit = HarnessFrames.stacked(to: HarnessFrames.broadcast, from: outside, tags: [(0x8100, 6 << 13)], length: 80)
        var delivered: [[UInt8]] = []
        for _ in 0..<50 where delivered.isEmpty {
            try wire.send(legit)
            delivered = fromOutside(try h.receive("g10", expected: 1, timeout: 0.1))
        }
        #expect(delivered.first == HarnessFrames.untag(legit))
        _ = try h.receive("g10", expected: 0, timeout: 0.2)  // late copies of the control

        let attacks = [
            HarnessFrames.stacked(to: HarnessFrames.broadcast, from: outside, tags: [(0x8100, 0), (0x8100, 20)]),
            HarnessFrames.stacked(to: HarnessFrames.broadcast, from: outside, tags: [(0x8100, 20), (0x8100, 10)]),
            HarnessFrames.stacked(to: HarnessFrames.broadcast, from: outside, tags: [(0x88A8, 20), (0x8100, 20)]),
        ]
        let before = try h.counters("up").receiveDrops(.vlanStack)
        for f in attacks { try wire.send(f) }
        #expect(fromOutside(try h.receive("g10", expected: 0, timeout: 0.5)).isEmpty)
        #expect(fromOutside(try h.receive("g20", expected: 0, timeout: 0.1)).isEmpty)
        #expect(try h.counters("up").receiveDrops(.vlanStack) - before == UInt64(attacks.count))

        // And the single-tag frame of the attacked VLAN still goes through (same path, after).
        let vlan20 = HarnessFrames.make(to: HarnessFrames.broadcast, from: outside, vlan: 20, length: 90)
        try wire.send(vlan20)
        #expect(fromOutside(try h.receive("g20", expected: 1)) == [HarnessFrames.untag(vlan20)])
        #expect(fromOutside(try h.receive("g10", expected: 0, timeout: 0.1)).isEmpty)
        expectAccountingAddsUp(h.engine)
    }
}
