import SwitchConfig
import Testing

/// `<<: *anchor` lets ports share settings; explicit keys override what is merged in.
@Suite struct MergeKeyTests {
    @Test func portsShareSettingsThroughAnAnchorAndOverrideThem() throws {
        let configuration = try parseValid("""
            x-guest: &guest
              type: vhost-user
              mtu: 9000
              vlan: {access: 20}
            ports:
              - <<: *guest
                name: vm1
                socket: vm1.sock
              - name: vm2
                mtu: 1500
                <<: *guest
                socket: vm2.sock
            """)
        #expect(configuration.ports == [
            vhostUser("vm1", "/run/switchyard/vm1.sock", vlan: .access(20), mtu: 9000),
            vhostUser("vm2", "/run/switchyard/vm2.sock", vlan: .access(20), mtu: 1500),
        ])
    }

    @Test func earlierMappingsInAMergeListWin() throws {
        let configuration = try parseValid("""
            x-a: &a {mtu: 2000}
            x-b: &b {mtu: 3000, mac-limit: 5}
            ports:
              - {<<: [*a, *b], name: p, type: vhost-user, socket: p.sock}
            """)
        #expect(configuration.ports.first?.mtu == 2000)
        #expect(configuration.ports.first?.macLimit == 5)
    }

    @Test func mistakesInsideAnAnchorArePositionedAtTheAnchor() throws {
        let error = try singleDiagnostic("""
            x-guest: &guest
              type: vhost-user
              mtu: 50
            ports:
              - <<: *guest
                name: vm1
                socket: vm1.sock
            """)
        #expect(error.description == "test.yaml:3:8: ports[0].mtu: MTU 50 is out of range 68...65535")
    }

    @Test func extensionKeysAreOnlyIgnoredAtTheTopLevel() throws {
        let error = try singleDiagnostic("switch:\n  x-note: hi\n")
        #expect(error.message == "unknown key 'x-note'")
    }

    @Test func mergingAScalarIsAWrongType() throws {
        let error = try singleDiagnostic("ports: [{<<: 5, name: p, type: uplink, interface: e}]")
        #expect(error.kind == .wrongType)
        #expect(error.message == "'<<' expected a mapping or a list of mappings, found an integer 5")
    }
}
