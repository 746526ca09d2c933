import ControlProtocol
import Foundation
import Glibc
import Testing

/// A `type: tap` port through the real daemon and `yardctl` (docs/tap-ports.md). Root needed: the
/// daemon creates the TAP device, named "tap-d<pid>" so parallel runs do not collide.
@Suite(.serialized) struct DaemonTapTests {
    @Test func yardctlShowsATapPortWithItsInterfaceAndTheDeviceGoesWithTheDaemon() throws {
        guard getuid() == 0 else { throw DaemonTestError("TAP devices need root (uid \(getuid()))") }
        let device = "tap-d\(getpid() % 100_000)"
        #expect(if_nametoindex(device) == 0, "\(device) exists before the test")
        let d = try DaemonProcess(yaml: twoPorts + """

          - { name: host0, type: tap, interface: \(device), vlan: { access: 10 } }
        """)
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports") }
        let tap = try #require(ports.first { $0.name == "host0" })
        #expect(tap.type == "tap" && tap.endpoint == device && tap.state == "up" && tap.vlanMode == "access 10")
        // The vhost-user ports beside it are as they always are (positive control of the listing).
        #expect(ports.filter { $0.type == "vhost-user" }.count == 2)
        let table = try runTool("yardctl", ["ports", "--socket", d.controlSocket])
        let row = try #require(table.output.split(separator: "\n").first { $0.hasPrefix("host0 ") }, "\(table.output)")
        #expect(row.contains(" tap ") && row.hasSuffix(device), "\(row)")
        #expect(if_nametoindex(device) > 0, "the daemon created \(device)")
        #expect(try d.stop().status == 0)
        #expect(if_nametoindex(device) == 0, "\(device) outlived the daemon that created it")
    }
}
