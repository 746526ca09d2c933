import ControlProtocol
import Foundation
import Glibc
import Testing

/// A `type: vxlan` port through the real daemon and `yardctl` (docs/vxlan-ports.md): a remote
/// VTEP on 127.0.0.2 (a plain UDP socket) sends a frame; `fdb show` lists its MAC on the vxlan
/// port with that VTEP, in text and JSON. Root needed (the port's raw socket).
@Suite(.serialized) struct DaemonVxlanTests {
    /// A UDP socket bound to `address`:`port` (0: any free port); returns it and its port.
    static func udpSocket(_ address: String, port: UInt16) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &a.sin_addr)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                bind(fd, p, len) == 0 ? getsockname(fd, p, &len) : -1
            }
        }
        guard fd >= 0, rc == 0 else { throw DaemonTestError("bind \(address):\(port): errno \(errno)") }
        return (fd, UInt16(bigEndian: a.sin_port))
    }

    @Test func fdbShowListsARemoteMACOnTheVxlanPortWithItsVTEP() throws {
        guard getuid() == 0 else { throw DaemonTestError("the vxlan port's raw socket needs root (uid \(getuid()))") }
        let probe = try Self.udpSocket("127.0.0.1", port: 0)
        close(probe.fd)
        let d = try DaemonProcess(yaml: twoPorts + """

          - { name: vx100, type: vxlan, vni: 100, local: 127.0.0.1, port: \(probe.port), remotes: [127.0.0.2],
              vlan: { access: 10 } }
        """)
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports") }
        let vx = try #require(ports.first { $0.name == "vx100" })
        #expect(vx.type == "vxlan" && vx.state == "up" && vx.mtu == 1450, "\(vx)")

        let remote = try Self.udpSocket("127.0.0.2", port: 0)
        defer { close(remote.fd) }
        let mac: [UInt8] = [0x02, 0x42, 0xAC, 0x11, 0x00, 0x02]
        let inner = YardctlFrames.make(to: YardctlFrames.broadcast, from: mac)
        let datagram: [UInt8] = [0x08, 0, 0, 0, 0, 0, 100, 0] + inner
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = probe.port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr)
        _ = datagram.withUnsafeBytes { b in
            withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(remote.fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var row: Substring?
        try waitFor("the remote MAC in fdb show") {
            let text = (try? d.yardctl("fdb", "show"))?.stdout ?? ""
            row = text.split(separator: "\n").first { $0.hasPrefix("vx100 ") }
            return row != nil
        }
        let line = try #require(row)
        #expect(line.contains(YardctlFrames.text(mac)) && line.hasSuffix("127.0.0.2"), "\(line)")
        let header = try d.yardctl("fdb", "show").stdout.split(separator: "\n").first ?? ""
        #expect(header.hasSuffix("VTEP"), "\(header)")
        let json = try jsonObject(try d.yardctl("fdb", "show", "--json").stdout)
        let fdb = try #require(json["fdb"] as? [String: Any])
        let entries = try #require(fdb["entries"] as? [[String: Any]])
        let entry = try #require(entries.first { $0["port"] as? String == "vx100" })
        #expect(entry["vtep"] as? String == "127.0.0.2")
        #expect(try d.stop().status == 0)
    }
}

extension DaemonVxlanTests {
    static func yaml(port: UInt16, remote: String) -> String {
        twoPorts + """

          - { name: vx100, type: vxlan, vni: 100, local: 127.0.0.1, port: \(port), remotes: [\(remote)],
              vlan: { access: 10 } }
        """
    }

    /// A datagram within `timeout` on `fd` (non-blocking poll), or nil.
    static func receive(_ fd: Int32, timeout: Double) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { return Array(buffer[0..<n]) }
            usleep(5_000)
        }
        return nil
    }

    /// A changed flood list re-creates the port (docs/vxlan-ports.md): the new tunnel binds the
    /// same UDP port at once and floods go to the new remote only.
    @Test func aReloadWithAnotherRemoteRecreatesThePortOnTheSameUDPPort() throws {
        guard getuid() == 0 else { throw DaemonTestError("the vxlan port's raw socket needs root (uid \(getuid()))") }
        let probe = try Self.udpSocket("127.0.0.1", port: 0)
        close(probe.fd)
        let old = try Self.udpSocket("127.0.0.2", port: probe.port)
        defer { close(old.fd) }
        let new = try Self.udpSocket("127.0.0.3", port: probe.port)
        defer { close(new.fd) }
        let d = try DaemonProcess(yaml: Self.yaml(port: probe.port, remote: "127.0.0.2"))
        let guest = try d.connectGuest("vm1")
        let frame = YardctlFrames.make(to: YardctlFrames.broadcast, from: YardctlFrames.mac(1))
        try guest.send(frame: frame)
        #expect(Self.receive(old.fd, timeout: 2).map { Array($0[8...]) } == frame, "flooded to 127.0.0.2 before")

        try d.write(yaml: Self.yaml(port: probe.port, remote: "127.0.0.3"))
        guard case .done(let summary) = try d.request(.reload) else { throw DaemonTestError("reload failed") }
        #expect(summary.contains("1 re-created"), "\(summary)")
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports") }
        #expect(ports.first { $0.name == "vx100" }?.state == "up")
        try guest.send(frame: frame)
        #expect(Self.receive(new.fd, timeout: 2).map { Array($0[8...]) } == frame, "flooded to 127.0.0.3 after")
        #expect(Self.receive(old.fd, timeout: 0.3) == nil, "still flooded to the old remote")
        #expect(try d.stop().status == 0)
    }
}
