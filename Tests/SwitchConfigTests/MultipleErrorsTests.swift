import SwitchConfig
import Testing

@Suite struct MultipleErrorsTests {
    static let brokenConfig = """
        switch:
          fdb:
            capacity: lots
          log:
            level: loud
        ports:
          - name: vm1
            type: vhost-user
            socket: vm1.sock
            mtu: 9
          - name: vm1
            type: vhost-usr
          - name: up
            type: uplink
            interface: eth0
            vlan: {access: 4095}
            mac-limt: 3
        """

    @Test func everyProblemIsReportedInOneRunSortedByLine() {
        let errors = diagnostics(Self.brokenConfig)
        #expect(errors.map(\.description) == [
            "test.yaml:3:15: switch.fdb.capacity: expected an integer, found a string \"lots\"",
            "test.yaml:5:12: switch.log.level: invalid log level 'loud'; "
                + "expected one of: trace, debug, info, notice, warning, error, critical",
            "test.yaml:10:10: ports[0].mtu: MTU 9 is out of range 68...65535",
            "test.yaml:11:11: ports[1].name: duplicate port name 'vm1' (first used at line 7)",
            "test.yaml:12:11: ports[1].type: invalid port type 'vhost-usr' (did you mean 'vhost-user'?); "
                + "expected one of: vhost-user, uplink, tap, vxlan",
            "test.yaml:16:20: ports[2].vlan.access: VLAN 4095 is out of range 1...4094",
            "test.yaml:17:5: ports[2]: unknown key 'mac-limt' (did you mean 'mac-limit'?)",
        ])
    }

    @Test func thrownErrorRendersOneDiagnosticPerLine() {
        do {
            _ = try SwitchConfiguration.parse(yaml: Self.brokenConfig, file: "Config/x.yaml")
            Issue.record("a broken configuration parsed")
        } catch {
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 7)
            #expect(lines.allSatisfy { $0.hasPrefix("Config/x.yaml:") })
        }
    }

    @Test func errorsOnTheSameLineAreOrderedByColumn() {
        let errors = diagnostics("ports: [{name: a, type: vhost-user, socket: a, mtu: 1, queues: 0}]")
        #expect(errors.map(\.column) == [53, 64])
        #expect(errors.map(\.keyPath) == ["ports[0].mtu", "ports[0].queues"])
    }
}
