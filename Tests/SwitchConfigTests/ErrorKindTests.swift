import SwitchConfig
import Testing

/// Each kind of mistake, with the exact position, key path and wording a user sees.
@Suite struct ErrorKindTests {
    @Test func unknownKeySuggestsTheClosestKnownKey() throws {
        let error = try singleDiagnostic("""
            ports:
              - name: vm1
                type: vhost-user
                socket: vm1.sock
                mac-limt: 64
            """)
        #expect(error.kind == .unknownKey)
        #expect(error.description == "test.yaml:5:5: ports[0]: unknown key 'mac-limt' (did you mean 'mac-limit'?)")
    }

    @Test func unknownKeyWithNothingCloseHasNoSuggestion() throws {
        let error = try singleDiagnostic("switch:\n  colour: blue\n")
        #expect(error.description == "test.yaml:2:3: switch: unknown key 'colour'")
    }

    @Test func unknownTopLevelKeyIsReportedWithoutAKeyPath() throws {
        let error = try singleDiagnostic("prots: []\n")
        #expect(error.description == "test.yaml:1:1: unknown key 'prots' (did you mean 'ports'?)")
    }

    @Test func stringWhereAnIntegerBelongsIsAWrongType() throws {
        let error = try singleDiagnostic("""
            switch:
              fdb:
                capacity: abc
            """)
        #expect(error.kind == .wrongType)
        #expect((error.line, error.column) == (3, 15))
        #expect(error.keyPath == "switch.fdb.capacity")
        #expect(error.message == "expected an integer, found a string \"abc\"")
    }

    @Test func quotedNumberIsAStringNotAnInteger() throws {
        let error = try singleDiagnostic("ports: [{name: a, type: vhost-user, socket: a, mtu: \"9000\"}]")
        #expect(error.kind == .wrongType)
        #expect(error.description == "test.yaml:1:53: ports[0].mtu: expected an integer, found a string \"9000\"")
    }

    @Test func booleanPortNameIsRejectedBecauseYAMLReadsNoAsFalse() throws {
        let error = try singleDiagnostic("ports: [{name: no, type: uplink, interface: eth0}]")
        #expect(error.description == "test.yaml:1:16: ports[0].name: expected a string, found a boolean no")
    }

    @Test func listWhereAMappingBelongsIsAWrongType() throws {
        let error = try singleDiagnostic("switch:\n  log: [info]\n")
        #expect(error.description == "test.yaml:2:8: switch.log: expected a mapping, found a list")
    }

    @Test func duplicatePortNamePointsAtTheSecondAndNamesTheFirst() throws {
        let error = try singleDiagnostic("""
            ports:
              - name: vm1
                type: vhost-user
                socket: a.sock
              - name: vm1
                type: vhost-user
                socket: b.sock
            """)
        #expect(error.kind == .duplicatePortName)
        #expect(error.description == "test.yaml:5:11: ports[1].name: duplicate port name 'vm1' (first used at line 2)")
    }

    @Test func duplicateSocketPathIsDetectedAfterResolution() throws {
        let error = try singleDiagnostic("""
            ports:
              - {name: vm1, type: vhost-user, socket: vm.sock}
              - {name: vm2, type: vhost-user, socket: /run/switchyard/./vm.sock}
            """)
        #expect(error.kind == .duplicateSocketPath)
        #expect(error.description == "test.yaml:3:43: ports[1].socket: "
                + "duplicate socket path '/run/switchyard/vm.sock' (first used at line 2)")
    }

    @Test func portSocketOnTheControlSocketIsADuplicate() throws {
        let error = try singleDiagnostic("ports: [{name: a, type: vhost-user, socket: control.sock}]")
        #expect(error.kind == .duplicateSocketPath)
        #expect(error.message == "socket path '/run/switchyard/control.sock' is also the control socket (switch.control-socket)")
    }

    @Test func twoUplinksOnOneInterfaceAreRejected() throws {
        let error = try singleDiagnostic("""
            ports:
              - {name: up0, type: uplink, interface: eth1}
              - {name: up1, type: uplink, interface: eth1}
            """)
        #expect(error.kind == .duplicateInterface)
        #expect(error.description
                == "test.yaml:3:42: ports[1].interface: interface 'eth1' is already used by another uplink or tap port (at line 2)")
    }

    @Test func accessVLANOutOfRangeNamesTheVLAN() throws {
        let error = try singleDiagnostic("""
            ports:
              - name: vm1
                type: vhost-user
                socket: vm1.sock
              - name: vm2
                type: vhost-user
                socket: vm2.sock
                vlan:
                  access: 5000
            """)
        #expect(error.kind == .outOfRange)
        #expect(error.description == "test.yaml:9:15: ports[1].vlan.access: VLAN 5000 is out of range 1...4094")
    }

    @Test func vlanZeroIsOutOfRange() throws {
        let error = try singleDiagnostic("ports: [{name: a, type: uplink, interface: e, vlan: {access: 0}}]")
        #expect(error.message == "VLAN 0 is out of range 1...4094")
    }

    @Test func mtuAndQueuesAndMacLimitHaveTheirRanges() {
        let errors = diagnostics("""
            ports:
              - {name: a, type: vhost-user, socket: a, mtu: 67, queues: 17, mac-limit: 0}
            """)
        #expect(errors.map(\.message) == [
            "MTU 67 is out of range 68...65535",
            "queue count 17 is out of range 1...16",
            "MAC limit 0 is out of range 1...16777216",
        ])
        #expect(errors.map(\.keyPath) == ["ports[0].mtu", "ports[0].queues", "ports[0].mac-limit"])
    }

    @Test func badModeListsTheValidModesAndSuggestsOne() throws {
        let error = try singleDiagnostic("ports: [{name: a, type: vhost-user, socket: a, mode: sever}]")
        #expect(error.kind == .invalidValue)
        #expect(error.description == "test.yaml:1:54: ports[0].mode: invalid mode 'sever' (did you mean 'server'?); "
                + "expected one of: server, client")
    }

    @Test func badPortTypeListsTheValidTypes() throws {
        let error = try singleDiagnostic("ports:\n  - name: a\n    type: taps\n")
        #expect(error.description
                == "test.yaml:3:11: ports[0].type: invalid port type 'taps' (did you mean 'tap'?); expected one of: vhost-user, uplink, tap, vxlan")
    }

    @Test func badLogLevelListsAllLevels() throws {
        let error = try singleDiagnostic("switch:\n  log:\n    level: verbose\n")
        #expect(error.description == "test.yaml:3:12: switch.log.level: invalid log level 'verbose'; "
                + "expected one of: trace, debug, info, notice, warning, error, critical")
    }

    @Test func badIdleStrategyListsBoth() throws {
        let error = try singleDiagnostic("switch: {datapath: {idle: spin}}")
        #expect(error.description == "test.yaml:1:27: switch.datapath.idle: invalid idle strategy 'spin'; expected one of: sleep, poll")
    }

    @Test func missingSocketOnAVhostUserPortPointsAtThePort() throws {
        let error = try singleDiagnostic("""
            ports:
              - name: vm1
                type: vhost-user
            """)
        #expect(error.kind == .missingKey)
        #expect(error.description == "test.yaml:2:5: ports[0].socket: missing required key 'socket' for a vhost-user port")
    }

    @Test func missingNameAndTypeAreBothReported() {
        let errors = diagnostics("ports:\n  - mtu: 9000\n")
        #expect(errors.map(\.description) == [
            "test.yaml:2:5: ports[0].name: missing required key 'name' for a port",
            "test.yaml:2:5: ports[0].type: missing required key 'type' for a port",
        ])
    }

    @Test func missingInterfaceOnAnUplink() throws {
        let error = try singleDiagnostic("ports: [{name: up, type: uplink}]")
        #expect(error.description == "test.yaml:1:9: ports[0].interface: missing required key 'interface' for an uplink port")
    }

    @Test func requiredKeyWithNullValueNeedsAValue() throws {
        let error = try singleDiagnostic("ports:\n  - name: vm1\n    type: vhost-user\n    socket:\n")
        #expect(error.kind == .missingKey)
        #expect(error.keyPath == "ports[0].socket")
        #expect(error.message == "'socket' needs a value")
        #expect(error.line == 4)
    }

    @Test func socketOnAnUplinkDoesNotApply() throws {
        let error = try singleDiagnostic("ports:\n  - name: up\n    type: uplink\n    interface: eth0\n    socket: x.sock\n")
        #expect(error.kind == .inapplicableKey)
        #expect(error.description == "test.yaml:5:5: ports[0].socket: 'socket' applies only to vhost-user ports")
    }

    @Test func mtuOnAnUplinkPointsAtTheInterface() throws {
        let error = try singleDiagnostic("ports:\n  - name: up\n    type: uplink\n    interface: eth0\n    mtu: 1400\n")
        #expect(error.kind == .inapplicableKey)
        #expect(error.line == 5 && error.keyPath == "ports[0].mtu")
        #expect(error.message.contains("interface's MTU"))
    }

    @Test func accessAndTrunkTogetherConflict() throws {
        let error = try singleDiagnostic("""
            ports:
              - name: a
                type: uplink
                interface: eth0
                vlan:
                  access: 10
                  trunk: {allowed: [10]}
            """)
        #expect(error.kind == .conflictingKeys)
        #expect((error.line, error.column, error.keyPath) == (7, 7, "ports[0].vlan"))
    }

    @Test func invalidPortAndInterfaceNames() {
        let errors = diagnostics("""
            ports:
              - {name: "vm 1", type: uplink, interface: averyveryverylongname}
            """)
        #expect(errors.map(\.message) == [
            "invalid port name 'vm 1': use 1 to 32 characters from A-Z a-z 0-9 _ . -",
            "invalid interface name 'averyveryverylongname': longer than 15 bytes",
        ])
    }

    @Test func socketPathTooLongForSockaddrUn() throws {
        let name = String(repeating: "s", count: 100) + ".sock"
        let error = try singleDiagnostic("ports: [{name: a, type: vhost-user, socket: \(name)}]")
        #expect(error.message == "socket path '/run/switchyard/\(name)' is 121 bytes; a UNIX socket address holds at most 107")
    }

    @Test func relativeSocketDirectoryIsRejected() throws {
        let error = try singleDiagnostic("switch:\n  socket-directory: run/sy\n")
        #expect(error.description == "test.yaml:2:21: switch.socket-directory: socket directory must be an absolute path, found 'run/sy'")
    }

    @Test func yamlSyntaxErrorCarriesThePositionLibyamlReports() throws {
        let error = try singleDiagnostic("ports:\n  - name: vm1\n    type: [vhost-user\n")
        #expect(error.kind == .syntax)
        #expect(error.keyPath.isEmpty)
        #expect(error.line == 4)
        #expect(error.description.hasPrefix("test.yaml:4:1: YAML syntax error: "))
    }

    @Test func badIndentationIsASyntaxError() throws {
        let error = try singleDiagnostic("switch:\n  fdb:\n    capacity: 1\n   aging-seconds: 2\n")
        #expect(error.kind == .syntax)
        #expect((error.line, error.column) == (4, 4))
    }

    @Test func duplicateKeyInOneMappingIsASyntaxError() throws {
        let error = try singleDiagnostic("switch:\n  log: {level: info}\n  log: {level: debug}\n")
        #expect(error.kind == .syntax)
        #expect(error.message == "duplicate key 'log' in one mapping")
        #expect(error.line == 2 || error.line == 3)
    }

    @Test func topLevelListIsAWrongType() throws {
        let error = try singleDiagnostic("- a\n- b\n")
        #expect(error.description == "test.yaml:1:1: expected a mapping, found a list")
    }
}
