import SwitchConfig
import Testing

/// `type: tap`, `interface: NAME` (docs/tap-ports.md).
@Suite struct TapPortConfigTests {
    @Test func tapPortNeedsOnlyAnInterfaceAndTakesMTUVLANAndMACLimit() throws {
        let configuration = try parseValid("""
            ports:
              - { name: host0, type: tap, interface: sy-tap0 }
              - { name: ct1, type: tap, interface: tap-ct1, mtu: 9000, mac-limit: 8, vlan: { access: 20 } }
            """)
        #expect(configuration.ports == [
            PortConfiguration(name: "host0", kind: .tap(interface: "sy-tap0"), vlan: .access(1), macLimit: nil, mtu: 1500),
            PortConfiguration(name: "ct1", kind: .tap(interface: "tap-ct1"), vlan: .access(20), macLimit: 8, mtu: 9000),
        ])
    }

    @Test func missingInterfaceIsReportedWithItsPosition() throws {
        let error = try singleDiagnostic("ports:\n  - name: t\n    type: tap\n")
        #expect(error.kind == .missingKey)
        #expect(error.description == "test.yaml:2:5: ports[0].interface: missing required key 'interface' for a tap port")
    }

    @Test func invalidInterfaceNameIsRefused() throws {
        let error = try singleDiagnostic("ports: [{ name: t, type: tap, interface: a-name-longer-than-15 }]")
        #expect(error.kind == .invalidValue)
        #expect(error.keyPath == "ports[0].interface")
        #expect(error.line == 1 && error.column == 42)
        #expect(error.message.contains("invalid interface name 'a-name-longer-than-15'"))
    }

    @Test func vhostUserKeysAndSocketAccessDoNotApply() throws {
        let socket = try singleDiagnostic("ports:\n  - name: t\n    type: tap\n    interface: tap0\n    queues: 2\n")
        #expect(socket.kind == .inapplicableKey)
        #expect(socket.description == "test.yaml:5:5: ports[0].queues: 'queues' applies only to vhost-user ports")
        let access = try singleDiagnostic("ports: [{ name: t, type: tap, interface: tap0, socket-access: { mode: 0600 } }]")
        #expect(access.kind == .inapplicableKey)
        #expect(access.message.contains("only to vhost-user"))
        // And `interface` on a vhost-user port names both kinds it belongs to.
        let interface = try singleDiagnostic("ports: [{ name: v, type: vhost-user, socket: v.sock, interface: tap0 }]")
        #expect(interface.message == "'interface' applies only to uplink and tap ports")
    }

    @Test func aTapAndAnUplinkCannotShareAnInterface() throws {
        let error = try singleDiagnostic("""
            ports:
              - {name: up0, type: uplink, interface: eth1}
              - {name: t0, type: tap, interface: eth1}
            """)
        #expect(error.kind == .duplicateInterface)
        #expect(error.description
                == "test.yaml:3:38: ports[1].interface: interface 'eth1' is already used by another uplink or tap port (at line 2)")
    }
}
