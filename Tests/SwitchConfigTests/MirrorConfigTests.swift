import SwitchConfig
import Testing

/// `mirrors:` (docs/mirroring.md).
@Suite struct MirrorConfigTests {
    static let ports = """
        ports:
          - {name: vm1, type: vhost-user, socket: vm1, vlan: {access: 10}}
          - {name: vm2, type: vhost-user, socket: vm2, vlan: {access: 20}}
          - {name: mon, type: tap, interface: sy-mon}

        """

    @Test func mirrorsDecodeWithSelectionsDeduplicatedAndVLANRangesExpanded() throws {
        let configuration = try parseValid(Self.ports + """
            mirrors:
              - name: span1
                output: mon
                source-ports: [vm1, vm1]
                destination-ports: [vm2]
                vlans: [30, "10-12", 11]
              - {name: only-vlan, output: mon, vlans: [5]}
            """)
        #expect(configuration.mirrors == [
            MirrorConfiguration(name: "span1", output: "mon", sourcePorts: ["vm1"], destinationPorts: ["vm2"],
                                vlans: [10, 11, 12, 30]),
            MirrorConfiguration(name: "only-vlan", output: "mon", vlans: [5]),
        ])
    }

    @Test func noMirrorsKeyMeansNoMirrors() throws {
        #expect(try parseValid(Self.ports).mirrors.isEmpty)
        #expect(try parseValid(Self.ports + "mirrors: []").mirrors.isEmpty)
    }

    @Test func eachBadMirrorIsRefusedAtItsPosition() throws {
        let cases: [(yaml: String, kind: ConfigurationError.Kind, description: String)] = [
            ("mirrors: [{name: m, output: mon, source-ports: [vm3]}]", .unknownPort,
             "test.yaml:5:49: mirrors[0].source-ports[0]: no port named 'vm3' (did you mean 'vm1'?)"),
            ("mirrors: [{name: m, output: mon0, source-ports: [vm1]}]", .unknownPort,
             "test.yaml:5:29: mirrors[0].output: no port named 'mon0' (did you mean 'mon'?)"),
            ("mirrors: [{name: m, output: vm1, source-ports: [vm1]}]", .mirrorLoop,
             "test.yaml:5:49: mirrors[0].source-ports[0]: port 'vm1' is this mirror's output: it cannot also be one of its sources or destinations"),
            ("mirrors: [{name: m, output: mon, source-ports: [vm1]}, {name: m, output: mon, vlans: [1]}]", .duplicateMirrorName,
             "test.yaml:5:63: mirrors[1].name: duplicate mirror name 'm' (first used at line 5)"),
            ("mirrors: [{name: m, output: mon}]", .missingKey,
             "test.yaml:5:11: mirrors[0]: a mirror selects nothing without 'source-ports', 'destination-ports' or 'vlans'"),
            ("mirrors: [{name: m, output: mon, vlans: [4095]}]", .outOfRange,
             "test.yaml:5:42: mirrors[0].vlans[0]: VLAN 4095 is out of range 1...4094"),
            ("mirrors: [{name: m, output: mon, source-port: [vm1]}]", .unknownKey,
             "test.yaml:5:34: mirrors[0]: unknown key 'source-port' (did you mean 'source-ports'?)"),
            ("mirrors: [{output: mon, vlans: [1]}]", .missingKey,
             "test.yaml:5:11: mirrors[0].name: missing required key 'name' for a mirror"),
        ]
        for c in cases {
            let error = try singleDiagnostic(Self.ports + c.yaml)
            #expect(error.kind == c.kind, "\(c.yaml)")
            #expect(error.description == c.description)
        }
    }

    @Test func anOutputPortSelectedByAnotherMirrorIsRefused() throws {
        let error = try singleDiagnostic(Self.ports + """
            mirrors:
              - {name: a, output: mon, source-ports: [vm1]}
              - {name: b, output: vm2, source-ports: [mon]}
            """)
        // b's output is not selected by anyone, but mon (a's output) is b's source.
        #expect(error.kind == .mirrorLoop)
        #expect(error.description.hasPrefix("test.yaml:6:23: mirrors[0].output: port 'mon' is a mirror output but another mirror selects it (mirrors[1].source-ports[0], line 7)"))
        // Control: two mirrors sharing one output, selecting other ports, are fine.
        #expect(try parseValid(Self.ports + """
            mirrors:
              - {name: a, output: mon, source-ports: [vm1]}
              - {name: b, output: mon, destination-ports: [vm2]}
            """).mirrors.count == 2)
    }

    @Test func staticMACsOnAnOutputPortAreRefused() throws {
        let error = try singleDiagnostic("""
            ports:
              - {name: vm1, type: vhost-user, socket: vm1}
              - {name: mon, type: vhost-user, socket: mon, static-macs: [{mac: "52:54:00:00:00:01"}]}
            mirrors: [{name: m, output: mon, source-ports: [vm1]}]
            """)
        #expect(error.kind == .inapplicableKey)
        #expect(error.description.hasPrefix("test.yaml:4:29: mirrors[0].output: port 'mon' is a mirror output"))
    }
}
