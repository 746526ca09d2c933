import SwitchConfig
import Testing

/// `type: vxlan` with `vni`, `local`, `remotes`, `port`, `underlay-mtu`, `learn-remotes`
/// (docs/vxlan-ports.md).
@Suite struct VxlanPortConfigTests {
    @Test func vxlanPortTakesItsKeysWithDefaultsForPortUnderlayMTUAndMTU() throws {
        let configuration = try parseValid("""
            ports:
              - name: vx100
                type: vxlan
                vni: 100
                local: 10.255.0.1
                remotes: [10.255.0.2, 10.255.0.3]
                vlan: { access: 10 }
              - { name: vx200, type: vxlan, vni: 200, local: 10.255.0.1, port: 8472, underlay-mtu: 9000,
                  mtu: 8000, learn-remotes: false, vlan: { access: 20 } }
            """)
        #expect(configuration.ports == [
            PortConfiguration(name: "vx100", kind: .vxlan(VxlanPortSettings(vni: 100, local: "10.255.0.1",
                                                                             remotes: ["10.255.0.2", "10.255.0.3"])),
                              vlan: .access(10), macLimit: nil, mtu: 1450),
            PortConfiguration(name: "vx200", kind: .vxlan(VxlanPortSettings(vni: 200, local: "10.255.0.1", remotes: [],
                                                                             udpPort: 8472, underlayMTU: 9000,
                                                                             learnRemotes: false)),
                              vlan: .access(20), macLimit: nil, mtu: 8000),
        ])
    }

    @Test func missingVNIAndLocalAreReportedWithTheirPositions() {
        let errors = diagnostics("ports:\n  - name: vx\n    type: vxlan\n")
        #expect(errors.map(\.description) == [
            "test.yaml:2:5: ports[0].vni: missing required key 'vni' for a vxlan port",
            "test.yaml:2:5: ports[0].local: missing required key 'local' for a vxlan port",
        ])
    }

    @Test func badValuesAreRefusedWhereTheyAre() throws {
        let vni = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 16777216, local: 10.0.0.1 }]")
        #expect(vni.kind == .outOfRange)
        #expect(vni.description == "test.yaml:1:39: ports[0].vni: VNI 16777216 is out of range 1...16777215")
        let local = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.256 }]")
        #expect(local.kind == .invalidValue)
        #expect(local.keyPath == "ports[0].local")
        #expect(local.message.contains("invalid IPv4 address '10.0.0.256'"))
        let remote = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, remotes: [10.0.0.2, fe80::1] }]")
        #expect(remote.keyPath == "ports[0].remotes[1]")
        #expect(remote.line == 1 && remote.column == 79)
        let twice = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, remotes: [10.0.0.2, 10.0.0.2] }]")
        #expect(twice.message == "remote 10.0.0.2 is listed twice")
        let many = (1...65).map { "10.1.0.\($0)" }.joined(separator: ", ")
        let tooMany = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, remotes: [\(many)] }]")
        #expect(tooMany.kind == .outOfRange && tooMany.message.hasPrefix("65 remotes; at most 64"))
        let port = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, port: 70000 }]")
        #expect(port.kind == .outOfRange && port.keyPath == "ports[0].port")
        let learn = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, learn-remotes: yes }]")
        #expect(learn.kind == .wrongType && learn.keyPath == "ports[0].learn-remotes")
    }

    /// Encapsulated, a frame of `mtu` must fit `underlay-mtu` (50 bytes more): a larger `mtu` is
    /// refused, the largest that fits is taken.
    @Test func mtuMustFitTheUnderlay() throws {
        let error = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, mtu: 1451 }]")
        #expect(error.kind == .outOfRange)
        #expect(error.keyPath == "ports[0].mtu")
        #expect(error.message.contains("at most underlay-mtu 1500 - 50 = 1450"))
        let fits = try parseValid("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, mtu: 1450 }]")
        #expect(fits.ports.first?.mtu == 1450)
    }

    @Test func vxlanCarriesOneAccessVLANAndOtherKindsRefuseItsKeys() throws {
        let trunk = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, vlan: { trunk: { allowed: [10] } } }]")
        #expect(trunk.message == "a vxlan port carries one VLAN: use vlan: { access: N }")
        let onTap = try singleDiagnostic("ports: [{ name: t, type: tap, interface: tap0, vni: 5 }]")
        #expect(onTap.kind == .inapplicableKey)
        #expect(onTap.message == "'vni' applies only to vxlan ports")
        let interface = try singleDiagnostic("ports: [{ name: vx, type: vxlan, vni: 1, local: 10.0.0.1, interface: eth0 }]")
        #expect(interface.message == "'interface' applies only to uplink and tap ports")
    }
}
