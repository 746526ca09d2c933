import SwitchConfig
import Testing

/// `static-macs:` per port (docs/reload.md#static-macs).
@Suite struct StaticMACsConfigTests {
    @Test func entriesTakeTheAccessOrNativeVLANUnlessGivenAndAreSorted() throws {
        let configuration = try parseValid("""
            ports:
              - name: a
                type: vhost-user
                socket: a.sock
                vlan: {access: 10}
                static-macs:
                  - {mac: "52:54:00:00:00:02"}
                  - {mac: "52:54:00:00:00:01", vlan: 10}
              - name: t
                type: vhost-user
                socket: t.sock
                vlan: {trunk: {allowed: [10, 20], native: 1}}
                static-macs: [{mac: "FA:16:3E:00:00:04", vlan: 20}, {mac: "52-54-00-00-00-03"}]
              - name: u
                type: uplink
                interface: eth0
                vlan: {trunk: {allowed: [30]}}
                static-macs: [{mac: "52:54:00:00:00:01", vlan: 30}]
            """)
        #expect(configuration.ports.map(\.staticMACs) == [
            [StaticMACSetting(mac: 0x5254_0000_0001, vlan: 10), StaticMACSetting(mac: 0x5254_0000_0002, vlan: 10)],
            [StaticMACSetting(mac: 0x5254_0000_0003, vlan: 1), StaticMACSetting(mac: 0xFA16_3E00_0004, vlan: 20)],
            // The same address as a's, in another VLAN: another FDB key, no conflict.
            [StaticMACSetting(mac: 0x5254_0000_0001, vlan: 30)],
        ])
    }

    @Test func absentOrEmptyMeansNone() throws {
        let configuration = try parseValid("""
            ports:
              - {name: a, type: vhost-user, socket: a}
              - {name: b, type: vhost-user, socket: b, static-macs: []}
            """)
        #expect(configuration.ports.allSatisfy { $0.staticMACs.isEmpty })
    }

    @Test func eachBadEntryIsRefusedAtItsPosition() throws {
        let cases: [(yaml: String, kind: ConfigurationError.Kind, description: String)] = [
            (#"ports: [{name: a, type: vhost-user, socket: a, static-macs: [{mac: "52:54:00:00:01"}]}]"#, .invalidValue,
             "test.yaml:1:68: ports[0].static-macs[0].mac: invalid MAC address '52:54:00:00:01': use aa:bb:cc:dd:ee:ff"),
            (#"ports: [{name: a, type: vhost-user, socket: a, static-macs: [{mac: "01:00:5e:00:00:01"}]}]"#, .invalidValue,
             "test.yaml:1:68: ports[0].static-macs[0].mac: '01:00:5e:00:00:01' is a multicast or zero address; "
                + "a static MAC must be a station's unicast address"),
            (#"ports: [{name: a, type: vhost-user, socket: a, static-macs: [{mac: "00:00:00:00:00:00"}]}]"#, .invalidValue,
             "test.yaml:1:68: ports[0].static-macs[0].mac: '00:00:00:00:00:00' is a multicast or zero address; "
                + "a static MAC must be a station's unicast address"),
            (#"ports: [{name: a, type: vhost-user, socket: a, vlan: {access: 10}, static-macs: [{mac: "52:54:00:00:00:01", vlan: 30}]}]"#,
             .invalidValue,
             "test.yaml:1:115: ports[0].static-macs[0].vlan: VLAN 30 is not carried by this port (access 10); "
                + "a static MAC must be in one of its VLANs"),
            (#"ports: [{name: t, type: vhost-user, socket: t, vlan: {trunk: {allowed: [10]}}, static-macs: [{mac: "52:54:00:00:00:01"}]}]"#,
             .missingKey,
             "test.yaml:1:94: ports[0].static-macs[0].vlan: this trunk port has no native VLAN: give each static MAC a 'vlan'"),
            (#"ports: [{name: a, type: vhost-user, socket: a, static-macs: [{vlan: 1}]}]"#, .missingKey,
             "test.yaml:1:62: ports[0].static-macs[0].mac: missing required key 'mac' for a static MAC"),
            (#"ports: [{name: a, type: vhost-user, socket: a, static-macs: [{mac: "52:54:00:00:00:01", vlna: 1}]}]"#, .unknownKey,
             "test.yaml:1:89: ports[0].static-macs[0]: unknown key 'vlna' (did you mean 'vlan'?)"),
        ]
        for c in cases {
            let error = try singleDiagnostic(c.yaml)
            #expect(error.kind == c.kind, "\(c.yaml)")
            #expect(error.description == c.description)
        }
    }

    @Test func theSameMACInTheSameVLANOnTwoPortsIsRefusedWhereItAppearsAgain() throws {
        let error = try singleDiagnostic("""
            ports:
              - {name: a, type: vhost-user, socket: a, vlan: {access: 10}, static-macs: [{mac: "52:54:00:00:00:01"}]}
              - {name: b, type: vhost-user, socket: b, vlan: {access: 10}, static-macs: [{mac: "52:54:00:00:00:01", vlan: 10}]}
            """)
        #expect(error.kind == .duplicateStaticMAC)
        #expect(error.description == "test.yaml:3:78: ports[1].static-macs[0]: static MAC 52:54:00:00:00:01 in VLAN 10 "
            + "is already pinned to port 'a' (line 2)")
    }

    @Test func moreStaticMACsThanTheFDBHoldsAreRefused() throws {
        let error = try singleDiagnostic("""
            switch: {fdb: {capacity: 1}}
            ports:
              - {name: a, type: vhost-user, socket: a, static-macs: [{mac: "52:54:00:00:00:01"}, {mac: "52:54:00:00:00:02"}]}
            """)
        #expect(error.kind == .outOfRange)
        #expect(error.keyPath == "ports[0].static-macs[1]")
        #expect(error.message == "more static MACs than the FDB holds (switch.fdb.capacity 1)")
    }
}
