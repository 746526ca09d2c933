import SwitchConfig
import Testing

/// `mac-limit` defaults, `source-macs`, `isolated`, `storm-control` (docs/port-security.md).
@Suite struct PortSecurityConfigTests {
    @Test func guestPortsGetTheSwitchMACLimitAndUplinksNone() throws {
        let defaults = try parseValid("""
            ports:
              - {name: vm1, type: vhost-user, socket: vm1.sock}
              - {name: up, type: uplink, interface: eth0}
            """)
        #expect(defaults.settings.guestMACLimit == 256)
        #expect(defaults.ports.map(\.macLimit) == [256, nil])

        let custom = try parseValid("""
            switch: {mac-limit: 100}
            ports:
              - {name: vm1, type: vhost-user, socket: vm1.sock}
              - {name: vm2, type: vhost-user, socket: vm2.sock, mac-limit: 5}
              - {name: vm3, type: vhost-user, socket: vm3.sock, mac-limit: unlimited}
              - {name: up, type: uplink, interface: eth0, mac-limit: 4000}
            """)
        #expect(custom.ports.map(\.macLimit) == [100, 5, nil, 4000])
    }

    @Test func switchMACLimitUnlimitedLeavesGuestsUnlimited() throws {
        let configuration = try parseValid("""
            switch: {mac-limit: unlimited}
            ports: [{name: vm1, type: vhost-user, socket: vm1.sock}]
            """)
        #expect(configuration.settings.guestMACLimit == nil)
        #expect(configuration.ports.first?.macLimit == nil)
    }

    @Test func macLimitWordsOtherThanUnlimitedAreRefusedWithTheirPosition() throws {
        let error = try singleDiagnostic("ports: [{name: a, type: vhost-user, socket: a, mac-limit: lots}]")
        #expect(error.kind == .invalidValue)
        #expect(error.description
            == "test.yaml:1:59: ports[0].mac-limit: invalid MAC limit 'lots'; expected an integer in 1...16777216 or 'unlimited'")
        let zero = try singleDiagnostic("switch: {mac-limit: 0}")
        #expect(zero.description == "test.yaml:1:21: switch.mac-limit: MAC limit 0 is out of range 1...16777216")
    }

    @Test func sourceMACsAreParsedSortedAndDeduplicated() throws {
        let configuration = try parseValid("""
            ports:
              - name: vm1
                type: vhost-user
                socket: vm1.sock
                source-macs: ["52:54:00:00:00:02", "52-54-00-00-00-01", "52:54:00:00:00:02", "FA:16:3E:AB:CD:EF"]
            """)
        #expect(configuration.ports.first?.security.sourceMACs == [0x5254_0000_0001, 0x5254_0000_0002, 0xFA16_3EAB_CDEF])
        #expect(configuration.ports.first?.security.isolated == false)
        #expect(configuration.ports.first?.security.stormControl == StormControlSettings())
    }

    @Test func groupZeroAndMalformedSourceMACsAreRefusedEachAtItsItem() {
        let errors = diagnostics("""
            ports:
              - {name: a, type: vhost-user, socket: a, source-macs: ["01:00:5e:00:00:01", "00:00:00:00:00:00", "52:54:00:00:01"]}
            """)
        #expect(errors.map(\.keyPath) == ["ports[0].source-macs[0]", "ports[0].source-macs[1]", "ports[0].source-macs[2]"])
        #expect(errors.map(\.column) == [58, 79, 100])
        #expect(errors[0].message == "'01:00:5e:00:00:01' is a multicast or zero address; a port never sends from it")
        #expect(errors[2].message == "invalid MAC address '52:54:00:00:01': use aa:bb:cc:dd:ee:ff")
    }

    @Test func emptySourceMACListIsRefused() throws {
        let error = try singleDiagnostic("ports: [{name: a, type: vhost-user, socket: a, source-macs: []}]")
        #expect(error.kind == .outOfRange)
        #expect(error.keyPath == "ports[0].source-macs")
    }

    @Test func isolatedTakesOnlyTrueOrFalse() throws {
        let configuration = try parseValid("ports: [{name: a, type: uplink, interface: e, isolated: true}]")
        #expect(configuration.ports.first?.security.isolated == true)
        let error = try singleDiagnostic("ports: [{name: a, type: uplink, interface: e, isolated: yes}]")
        #expect(error.kind == .wrongType)
        #expect(error.description == "test.yaml:1:57: ports[0].isolated: expected true or false, found a boolean yes")
    }

    @Test func stormControlRatesPerKind() throws {
        let configuration = try parseValid("""
            ports:
              - {name: a, type: vhost-user, socket: a, storm-control: {broadcast: 100, unknown-unicast: 5000}}
            """)
        #expect(configuration.ports.first?.security.stormControl
            == StormControlSettings(broadcast: 100, multicast: nil, unknownUnicast: 5000))
    }

    @Test func stormControlRejectsUnknownKindsAndZeroRates() {
        let errors = diagnostics("""
            ports:
              - {name: a, type: vhost-user, socket: a, storm-control: {brodcast: 100, multicast: 0}}
            """)
        #expect(errors.map(\.message) == [
            "unknown key 'brodcast' (did you mean 'broadcast'?)",
            "multicast rate 0 is out of range 1...1000000000",
        ])
        #expect(errors.map(\.keyPath) == ["ports[0].storm-control", "ports[0].storm-control.multicast"])
    }

    @Test func securityChangesShowInTheReloadDiff() throws {
        let old = try parseValid("ports: [{name: a, type: vhost-user, socket: a}]")
        let new = try parseValid("ports: [{name: a, type: vhost-user, socket: a, isolated: true}]")
        #expect(ConfigurationDiff.diff(old: old, new: new).changed.map(\.fields) == [[.security]])
    }
}
