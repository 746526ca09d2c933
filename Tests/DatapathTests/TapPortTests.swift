import Datapath
import Foundation
import Glibc
import SwitchCore
import Testing
import TestSupport
import VhostTestFrontEnd

/// A tap port through a real engine (docs/tap-ports.md): the switch creates a TAP device, the test
/// moves its host side into a network namespace with an address, and a vhost-user guest talks to
/// that namespace's stack across the switch. Root needed; every name starts with "tap-" and
/// carries the pid, so parallel runs do not collide.
@Suite(.serialized) struct TapPortTests {
    /// A network namespace with IPv6 off (it sends nothing by itself), deleted at the end.
    final class Namespace {
        let name: String
        init(_ tag: String) throws {
            guard getuid() == 0 else { throw SetupFailure("TAP devices and namespaces need root (uid \(getuid()))") }
            name = "tap-ns\(getpid() % 100_000)\(tag)"
            _ = try? run("ip", ["netns", "del", name])
            try ip(["netns", "add", name])
            try ip(["netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            try ip(["netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
        }
        deinit { _ = try? run("ip", ["netns", "del", name]) }

        /// Moves `device` here, gives it `address` and brings it up; returns its MAC.
        func adopt(_ device: String, address: String) throws -> [UInt8] {
            try ip(["link", "set", device, "netns", name])
            try ip(["-n", name, "addr", "add", address, "dev", device])
            try ip(["-n", name, "link", "set", device, "up"])
            let out = try ip(["-n", name, "-br", "link", "show", device])
            let text = try #require(out.split(separator: " ").map(String.init).first { $0.count == 17 && $0.contains(":") })
            return text.split(separator: ":").map { UInt8($0, radix: 16)! }
        }

        func has(_ device: String) throws -> Bool { try run("ip", ["-n", name, "link", "show", device]).status == 0 }
    }

    struct SetupFailure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let r = try run("ip", arguments)
        guard r.status == 0 else { throw SetupFailure("ip \(arguments.joined(separator: " ")): \(r.output)") }
        return r.output
    }

    /// An ARP request for `target` from `mac`/`sender` (IPv4 addresses as 4 bytes), padded to 60.
    static func arpRequest(from mac: [UInt8], sender: [UInt8], target: [UInt8]) -> [UInt8] {
        var f = HarnessFrames.broadcast + mac + [0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1] + mac + sender
        f += [0, 0, 0, 0, 0, 0] + target
        while f.count < 60 { f.append(0) }
        return f
    }

    /// ARP replies among `frames` that come from `ip`.
    static func arpReplies(_ frames: [[UInt8]], from ip: [UInt8]) -> [[UInt8]] {
        frames.filter { $0.count >= 42 && $0[12] == 0x08 && $0[13] == 0x06 && $0[21] == 2 && Array($0[28..<32]) == ip }
    }

    static func ip4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> [UInt8] { [a, b, c, d] }

    func portIndex(_ h: SwitchHarness, _ name: String) throws -> UInt16 {
        try #require(try h.engine.perform { $0.portIndex(named: name) }.get())
    }

    @Test func aGuestReachesTheHostStackBehindATapOnItsVLANAndAnotherVLANDoesNot() throws {
        let ns = try Namespace("a")
        let device = "tap-\(getpid() % 100_000)a"
        let h = try SwitchHarness(ports: [("g10", .access(vlan: 10)), ("g20", .access(vlan: 20))])
        let spec = PortSpecification(name: "t", kind: .tap(interface: device), vlan: .access(vlan: 10), macLimit: nil,
                                     mtu: 1400)
        try h.engine.perform { $0.addPort(spec) }.get().get()
        #expect(if_nametoindex(device) > 0, "the switch created \(device)")
        #expect(try Self.ip(["link", "show", device]).contains(" mtu 1400 "), "with the port's MTU")
        let hostMAC = try ns.adopt(device, address: "10.78.0.1/24")
        try h.connect("g10")
        try h.connect("g20")
        let g10 = HarnessFrames.mac(0x10), g20 = HarnessFrames.mac(0x20)
        let host = Self.ip4(10, 78, 0, 1)

        // Positive: g10 (VLAN 10, the tap's VLAN) asks for the namespace's address and gets the
        // answer from its stack, so frames crossed the tap both ways.
        var replies: [[UInt8]] = []
        for _ in 0..<50 where replies.isEmpty {
            try h.frontEnd("g10").send(frame: Self.arpRequest(from: g10, sender: Self.ip4(10, 78, 0, 10), target: host))
            replies = Self.arpReplies(try h.receive("g10", expected: 1, timeout: 0.1), from: host)
        }
        let reply = try #require(replies.first, "no ARP reply from the namespace behind the tap")
        #expect(Array(reply[0..<6]) == g10)
        #expect(Array(reply[6..<12]) == hostMAC)
        #expect(Array(reply[22..<28]) == hostMAC)

        // Learning: the host's MAC on the tap port, the guest's on its own, both in VLAN 10.
        let tapIndex = try portIndex(h, "t"), g10Index = try portIndex(h, "g10")
        let learned = try h.engine.perform { e in
            (e.bridge.fdb.lookup(vlan: 10, mac: MACAddress(hostMAC[0], hostMAC[1], hostMAC[2], hostMAC[3], hostMAC[4], hostMAC[5])),
             e.bridge.fdb.lookup(vlan: 10, mac: MACAddress(g10[0], g10[1], g10[2], g10[3], g10[4], g10[5])))
        }.get()
        #expect(learned.0 == tapIndex)
        #expect(learned.1 == g10Index)
        let tapAfterG10 = try h.counters("t")
        #expect(tapAfterG10.receivedFrames >= 1 && tapAfterG10.transmittedFrames >= 1)
        #expect(try h.counters("g10").transmittedFrames >= 1)

        // Negative, same probe from VLAN 20: the switch takes g20's requests (its rx counts
        // them), none goes out on the tap, and no answer comes back.
        let g20Before = try h.counters("g20").receivedFrames
        for _ in 0..<5 {
            try h.frontEnd("g20").send(frame: Self.arpRequest(from: g20, sender: Self.ip4(10, 78, 0, 20), target: host))
        }
        #expect(Self.arpReplies(try h.receive("g20", expected: 0, timeout: 0.5), from: host).isEmpty)
        #expect(try h.counters("g20").receivedFrames - g20Before == 5)
        #expect(try h.counters("t").transmittedFrames == tapAfterG10.transmittedFrames)
        #expect(try h.receive("g10", expected: 0, timeout: 0.1).isEmpty, "VLAN 20's broadcasts reached VLAN 10")
        expectAccountingAddsUp(h.engine)

        // A device the switch created goes away with the port, even from another namespace.
        try h.engine.perform { $0.removePort(named: "t") }.get().get()
        var gone = false
        for _ in 0..<50 where !gone {
            gone = try !ns.has(device)
            if !gone { usleep(20_000) }
        }
        #expect(gone, "\(device) still exists after its port was removed")
    }

    /// The host stack hands the tap partial checksums (TUNSETOFFLOAD): a TCP SYN from the
    /// namespace reaches a guest that negotiated guest_csum still partial (the header crossed
    /// whole), and a guest that did not gets it with the checksum finished by the switch.
    @Test func hostChecksumOffloadCrossesWholeOrIsFinishedPerReceiver() throws {
        let ns = try Namespace("o")
        let device = "tap-\(getpid() % 100_000)o"
        let h = try SwitchHarness(ports: [("capable", .access(vlan: 1)), ("plain", .access(vlan: 1))])
        try h.engine.perform {
            $0.addPort(PortSpecification(name: "t", kind: .tap(interface: device), vlan: .access(vlan: 1), macLimit: nil,
                                         mtu: 1500))
        }.get().get()
        _ = try ns.adopt(device, address: "10.78.1.1/24")
        try h.connect("capable")
        var plain = TestFrontEnd.Options()
        plain.driverFeatures &= OffloadForwardingTests.noGuestOffloads
        try h.connect("plain", options: plain)
        // The guests never sent: the SYN's destination is unknown, so it floods to both.
        let mac = HarnessFrames.mac(0x11).map { String(format: "%02x", $0) }.joined(separator: ":")
        try Self.ip(["-n", ns.name, "neigh", "replace", "10.78.1.11", "lladdr", mac, "dev", device])
        // SIGKILL: the test process's blocked signal mask is inherited, so a TERM would wait out
        // the kernel's SYN retries (about two minutes).
        _ = try run("ip", ["netns", "exec", ns.name, "timeout", "-s", "KILL", "0.5", "bash", "-c", "exec 3<>/dev/tcp/10.78.1.11/9"])
        func syns(_ frames: [[UInt8]]) -> [[UInt8]] {
            frames.filter { $0.count >= 54 && $0[12] == 0x08 && $0[13] == 0x00 && $0[23] == 6 && $0[47] & 0x02 != 0 }
        }
        let whole = try #require(syns(try h.receive("capable", expected: 1)).first, "no SYN reached the capable guest")
        let finished = try #require(syns(try h.receive("plain", expected: 1)).first, "no SYN reached the plain guest")
        #expect(!TCPFrames.checksumsVerify(whole), "passed on partial, for the guest's stack to finish")
        #expect(TCPFrames.checksumsVerify(finished), "checksum finished in software")
        #expect(Array(whole[..<36]) == Array(finished[..<36]), "the same SYN")
        expectAccountingAddsUp(h.engine)
    }

    /// A trunk tap: frames the host side sends tagged go to their VLAN's guests untagged,
    /// untagged ones to the native VLAN, and a VLAN the trunk does not carry reaches nobody and
    /// is counted `vlan-not-allowed`.
    @Test func aTrunkTapSortsTheHostsTaggedFramesIntoVLANs() throws {
        guard getuid() == 0 else { throw SetupFailure("TAP devices need root (uid \(getuid()))") }
        let device = "tap-\(getpid() % 100_000)k"
        let h = try SwitchHarness(ports: [("g10", .access(vlan: 10)), ("g20", .access(vlan: 20)), ("g30", .access(vlan: 30))])
        try h.engine.perform {
            $0.addPort(PortSpecification(name: "t", kind: .tap(interface: device),
                                         vlan: .trunk(allowed: VLANSet([20]), native: 10), macLimit: nil, mtu: 1500))
        }.get().get()
        _ = try? run("sysctl", ["-qw", "net.ipv6.conf.\(device).disable_ipv6=1"])
        for g in ["g10", "g20", "g30"] { try h.connect(g) }
        // The host side of the tap, as its stack would send: a raw socket bound to the device.
        let index = if_nametoindex(device)
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard index > 0, fd >= 0 else { throw SetupFailure("packet socket on \(device): errno \(errno)") }
        defer { close(fd) }
        var address = [UInt8](repeating: 0, count: 20)  // sockaddr_ll: family, protocol 0, ifindex
        address.withUnsafeMutableBytes { a in
            a.storeBytes(of: UInt16(AF_PACKET), toByteOffset: 0, as: UInt16.self)
            a.storeBytes(of: Int32(index), toByteOffset: 4, as: Int32.self)
        }
        let bound = address.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20) }
        guard bound == 0 else { throw SetupFailure("bind to \(device): errno \(errno)") }
        func send(_ frame: [UInt8]) throws {
            let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n == frame.count else { throw SetupFailure("send on \(device): errno \(errno)") }
        }
        let host = [UInt8]([0x02, 0x78, 0, 0, 0, 1])
        func fromHost(_ frames: [[UInt8]]) -> [[UInt8]] { frames.filter { Array($0[6..<12]) == host } }

        let tagged20 = HarnessFrames.make(to: HarnessFrames.broadcast, from: host, vlan: 20, length: 80)
        let untagged = HarnessFrames.make(to: HarnessFrames.broadcast, from: host, length: 70)
        try send(tagged20)
        try send(untagged)
        #expect(fromHost(try h.receive("g20", expected: 1)) == [HarnessFrames.untag(tagged20)])
        #expect(fromHost(try h.receive("g10", expected: 1)) == [untagged])

        let before = try h.counters("t").receiveDrops(.vlanNotAllowed)
        try send(HarnessFrames.make(to: HarnessFrames.broadcast, from: host, vlan: 30, length: 90))
        #expect(fromHost(try h.receive("g30", expected: 0, timeout: 0.5)).isEmpty)
        #expect(try h.counters("t").receiveDrops(.vlanNotAllowed) - before == 1)
        #expect(fromHost(try h.receive("g10", expected: 0, timeout: 0.1)).isEmpty)
        #expect(fromHost(try h.receive("g20", expected: 0, timeout: 0.1)).isEmpty)
        expectAccountingAddsUp(h.engine)
    }

    @Test func anExistingTapDeviceIsAttachedToAndLeftInPlace() throws {
        let device = "tap-\(getpid() % 100_000)e"
        guard getuid() == 0 else { throw SetupFailure("TAP devices need root (uid \(getuid()))") }
        _ = try? run("ip", ["link", "del", device])
        try Self.ip(["tuntap", "add", "mode", "tap", "name", device])
        defer { _ = try? run("ip", ["link", "del", device]) }
        let h = try SwitchHarness(ports: [("g10", .access(vlan: 10))])
        let spec = PortSpecification(name: "t", kind: .tap(interface: device), vlan: .access(vlan: 10), macLimit: nil,
                                     mtu: 1500)
        try h.engine.perform { $0.addPort(spec) }.get().get()
        let state = try h.engine.perform { $0.portRuntime().first { $0.spec.name == "t" }?.state.description }.get()
        #expect(state == "up")
        // Left as found: the switch did not bring it up (it is the owner's to configure).
        #expect(try Self.ip(["link", "show", device]).contains("state DOWN"))
        // While it is down the kernel refuses writes: counted port-down, shown link-down.
        try h.connect("g10")
        _ = try? run("sysctl", ["-qw", "net.ipv6.conf.\(device).disable_ipv6=1"])
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0x10), length: 64)
        try h.frontEnd("g10").send(frame: frame)
        var down: (String?, UInt64) = (nil, 0)
        for _ in 0..<100 where down.1 == 0 {
            usleep(10_000)
            down = (try h.engine.perform { $0.portRuntime().first { $0.spec.name == "t" }?.state.description }.get(),
                    try h.counters("t").transmitDrops(.portDown))
        }
        #expect(down.0 == "link-down" && down.1 == 1)
        // Once its owner brings it up, the same frame goes out (positive control, same path).
        try Self.ip(["link", "set", device, "up"])
        try h.frontEnd("g10").send(frame: frame)
        var sent: UInt64 = 0
        for _ in 0..<100 where sent == 0 {
            usleep(10_000)
            sent = try h.counters("t").transmittedFrames
        }
        #expect(sent == 1)
        #expect(try h.engine.perform { $0.portRuntime().first { $0.spec.name == "t" }?.state.description }.get() == "up")
        expectAccountingAddsUp(h.engine)
        try h.engine.perform { $0.removePort(named: "t") }.get().get()
        #expect(if_nametoindex(device) > 0, "the switch deleted a device it did not create")
        // The same name as a device of another kind is refused with the reason.
        let veth = "tap-\(getpid() % 100_000)v"
        try Self.ip(["link", "add", veth, "type", "veth", "peer", "name", veth + "p"])
        defer { _ = try? run("ip", ["link", "del", veth]) }
        let wrong = PortSpecification(name: "w", kind: .tap(interface: veth), vlan: .access(vlan: 10), macLimit: nil,
                                      mtu: 1500)
        let result = try h.engine.perform { $0.addPort(wrong) }.get()
        guard case .failure(let error) = result else {
            Issue.record("a veth was accepted as a TAP device")
            return
        }
        #expect("\(error)".contains("not a single-queue TAP device"))
    }
}
