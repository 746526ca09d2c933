import ControlProtocol
import ControlClient
import Foundation
import Testing

/// `evpn:` in the real daemon (docs/evpn-mirror.md), without a mirror on this host: the VNI is
/// listed with why it is not followed yet, and the daemon keeps serving. The mirror itself, with
/// FRR, is Tests/RealPeers/72-evpn-mirror.sh.
@Suite(.serialized) struct DaemonEVPNTests {
    static func yaml(evpn: Bool) -> String {
        """
        switch:
          socket-directory: SOCKDIR
          control-socket: SOCKDIR/control.sock
        ports:
          - { name: a, type: vhost-user, socket: a.sock, vlan: { access: 10 } }
        """ + (evpn ? "\nevpn:\n  - { vni: 100, vlan: 10, bridge: nosuchbr0, vxlan: nosuchvx0, port: nosuchve0 }\n" : "\n")
    }

    private func evpn(_ d: DaemonProcess) throws -> [EVPNStatus] {
        guard case .evpn(let e) = try d.request(.evpn) else { throw DaemonTestError("no evpn reply") }
        return e
    }

    @Test func aMirrorWhoseDevicesAreMissingIsListedWithTheProblemAndTheDaemonServes() throws {
        let d = try DaemonProcess(yaml: Self.yaml(evpn: true))
        let status = try #require(try evpn(d).first)
        #expect(status.vni == 100 && status.vlan == 10 && status.vxlan == "nosuchvx0")
        #expect(status.problem == "no interface nosuchvx0, nosuchve0 (retried every second)")
        #expect(status.remoteMACs.isEmpty && status.floodList.isEmpty && status.advertised.isEmpty)
        let text = Rendering.evpn([status])
        #expect(text.contains("VNI 100 (VLAN 10): bridge nosuchbr0, vxlan nosuchvx0, port nosuchve0"), "\(text)")
        #expect(text.contains("problem: no interface nosuchvx0") && text.contains("flood list: none"), "\(text)")
        // Still answering other requests a few ticks later (the retries block nothing).
        usleep(1_500_000)
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("no ports reply") }
        #expect(ports.map(\.name) == ["a"])
    }

    @Test func textListsFloodListRemoteMACsWithTheirVTEPAndAdvertisedMACs() {
        let text = Rendering.evpn([EVPNStatus(
            vni: 100, vlan: 10, bridge: "brm100", vxlan: "vxm100", port: "vem100",
            remoteMACs: [.init(mac: "02:00:00:00:00:0b", vtep: "10.255.0.2")],
            floodList: ["10.255.0.2", "10.255.0.3"], advertised: ["02:00:00:00:00:0a"])])
        #expect(text == """
            VNI 100 (VLAN 10): bridge brm100, vxlan vxm100, port vem100
              flood list: 10.255.0.2 10.255.0.3
              MAC                where
              02:00:00:00:00:0b  remote 10.255.0.2
              02:00:00:00:00:0a  local (advertised)
              remote 1, advertised 1
            """, "\(text)")
    }

    @Test func withoutEVPNTheReplyIsEmpty() throws {
        let d = try DaemonProcess(yaml: Self.yaml(evpn: false))
        #expect(try evpn(d).isEmpty)
        #expect(Rendering.evpn([]) == "no evpn mirrors configured")
    }
}
