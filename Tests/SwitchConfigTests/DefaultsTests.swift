import SwitchConfig
import Testing

@Suite struct DefaultsTests {
    @Test func emptyDocumentIsAllDefaultsWithNoPorts() throws {
        let configuration = try parseValid("")
        #expect(configuration == SwitchConfiguration())
        #expect(configuration.settings.fdb == FDBSettings(agingSeconds: 300, capacity: 8192))
        #expect(configuration.settings.socketDirectory == "/run/switchyard")
        #expect(configuration.settings.controlSocket == "/run/switchyard/control.sock")
        #expect(configuration.settings.log == LogSettings(level: .info, format: .text))
        #expect(configuration.settings.datapath == DatapathSettings(cpus: [], idle: .sleep))
        #expect(configuration.ports.isEmpty)
    }

    @Test func commentsOnlyAndNullSectionsAreDefaults() throws {
        #expect(try parseValid("# nothing configured yet\n") == SwitchConfiguration())
        #expect(try parseValid("switch:\nports:\n") == SwitchConfiguration())
        #expect(try parseValid("ports: []\n") == SwitchConfiguration())
    }

    @Test func minimalVhostUserPortGetsServerModeTheDefaultQueueLimitAccessVLAN1AndMTU1500() throws {
        let configuration = try parseValid("""
            ports:
              - name: vm1
                type: vhost-user
                socket: vm1.sock
            """)
        #expect(configuration.ports == [vhostUser("vm1", "/run/switchyard/vm1.sock")])
        #expect(configuration.ports.first?.kind == .vhostUser(socketPath: "/run/switchyard/vm1.sock", mode: .server, queues: 8))
        #expect(configuration.ports.first?.macLimit == 256)
    }

    @Test func minimalUplinkNeedsOnlyAnInterface() throws {
        let configuration = try parseValid("ports: [{name: up, type: uplink, interface: eth0}]")
        #expect(configuration.ports == [PortConfiguration(name: "up", kind: .uplink(interface: "eth0"),
                                                          vlan: .access(1), macLimit: nil, mtu: 1500)])
    }

    @Test func nullValueMeansTheDefault() throws {
        let configuration = try parseValid("""
            ports:
              - {name: vm1, type: vhost-user, socket: a.sock, mac-limit: ~, mtu: null}
            """)
        #expect(configuration.ports.first?.macLimit == 256)
        #expect(configuration.ports.first?.mtu == 1500)
    }

    @Test func movedSocketDirectoryAlsoMovesTheDefaultControlSocket() throws {
        let configuration = try parseValid("switch:\n  socket-directory: /var/run/sy/\n")
        #expect(configuration.settings.socketDirectory == "/var/run/sy")
        #expect(configuration.settings.controlSocket == "/var/run/sy/control.sock")
    }

    @Test func agingZeroMeansNeverAndIsAccepted() throws {
        #expect(try parseValid("switch: {fdb: {aging-seconds: 0}}").settings.fdb.agingSeconds == 0)
    }

    @Test func cpuListIsSortedAndDeduplicated() throws {
        let configuration = try parseValid("switch: {datapath: {cpus: [3, 1, 3, 0], idle: poll}}")
        #expect(configuration.settings.datapath == DatapathSettings(cpus: [0, 1, 3], idle: .poll))
    }

    @Test func logLevelsMatchSwiftLogRawValues() throws {
        #expect(LogLevel.allCases.map(\.rawValue) == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        #expect(try parseValid("switch: {log: {level: trace, format: json}}").settings.log
            == LogSettings(level: .trace, format: .json))
    }
}
