import SwitchConfig
import Testing

/// `evpn:` (docs/evpn-mirror.md): one FRR control-plane mirror per VNI.
@Suite struct EVPNConfigTests {
    @Test func evpnEntriesDecodeInOrder() throws {
        let configuration = try parseValid("""
            evpn:
              - {vni: 100, vlan: 10, bridge: brm100, vxlan: vxm100, port: vem100}
              - vni: 16777215
                vlan: 4094
                bridge: brm200
                vxlan: vxm200
                port: vem200
            """)
        #expect(configuration.evpn == [
            EVPNMirrorConfiguration(vni: 100, vlan: 10, bridge: "brm100", vxlan: "vxm100", port: "vem100"),
            EVPNMirrorConfiguration(vni: 16_777_215, vlan: 4094, bridge: "brm200", vxlan: "vxm200", port: "vem200"),
        ])
    }

    @Test func noEVPNKeyMeansNoMirrors() throws {
        #expect(try parseValid("ports: []").evpn.isEmpty)
        #expect(try parseValid("evpn: []").evpn.isEmpty)
    }

    @Test func eachBadEVPNEntryIsRefusedAtItsPosition() throws {
        let good = "{vni: 100, vlan: 10, bridge: brm100, vxlan: vxm100, port: vem100}"
        let cases: [(yaml: String, kind: ConfigurationError.Kind, description: String)] = [
            ("evpn: [{vni: 0, vlan: 10, bridge: b, vxlan: v, port: p}]", .outOfRange,
             "test.yaml:1:14: evpn[0].vni: VNI 0 is out of range 1...16777215"),
            ("evpn: [{vni: 16777216, vlan: 10, bridge: b, vxlan: v, port: p}]", .outOfRange,
             "test.yaml:1:14: evpn[0].vni: VNI 16777216 is out of range 1...16777215"),
            ("evpn: [{vni: 1, vlan: 4095, bridge: b, vxlan: v, port: p}]", .outOfRange,
             "test.yaml:1:23: evpn[0].vlan: VLAN 4095 is out of range 1...4094"),
            ("evpn: [{vni: 1, vlan: 10, bridge: a-name-too-long-x, vxlan: v, port: p}]", .invalidValue,
             "test.yaml:1:35: evpn[0].bridge: invalid interface name 'a-name-too-long-x': longer than 15 bytes"),
            ("evpn: [{vni: 1, vlan: 10, bridge: b, vxlan: b, port: p}]", .duplicateInterface,
             "test.yaml:1:45: evpn[0].vxlan: interface 'b' is named already by an evpn entry (line 1)"),
            ("evpn: [{vni: 1, vlan: 10, bridge: b, port: p}]", .missingKey,
             "test.yaml:1:8: evpn[0].vxlan: missing required key 'vxlan' for an evpn entry"),
            ("evpn: [{vni: 1, vlan: 10, bridge: b, vxlan: v, port: p, vtep: 1.2.3.4}]", .unknownKey,
             "test.yaml:1:57: evpn[0]: unknown key 'vtep'"),
            ("evpn:\n  - \(good)\n  - {vni: 100, vlan: 11, bridge: b, vxlan: v, port: p}", .invalidValue,
             "test.yaml:3:11: evpn[1].vni: VNI 100 has an evpn entry already (line 2)"),
            ("evpn:\n  - \(good)\n  - {vni: 200, vlan: 10, bridge: b, vxlan: v, port: p}", .invalidValue,
             "test.yaml:3:22: evpn[1].vlan: VLAN 10 is mapped to a VNI already (line 2)"),
            ("evpn: {vni: 1}", .wrongType, "test.yaml:1:7: evpn: expected a list, found a mapping"),
        ]
        for c in cases {
            let error = try singleDiagnostic(c.yaml)
            #expect(error.kind == c.kind, "\(c.yaml)")
            #expect(error.description == c.description)
        }
    }

    /// The example file's `evpn:` section is what the docs show, and it decodes.
    @Test func exampleConfigurationMapsVLAN10ToVNI100() throws {
        let configuration = try SwitchConfiguration.load(path: repositoryRoot + "/Config/switchyard.example.yaml")
        #expect(configuration.evpn == [
            EVPNMirrorConfiguration(vni: 100, vlan: 10, bridge: "brm100", vxlan: "vxm100", port: "vem100"),
        ])
    }
}
