import SwitchConfig
import Testing

@Suite struct ConfigurationDiffTests {
    static let before = """
        ports:
          - {name: keep, type: vhost-user, socket: keep.sock}
          - {name: retag, type: vhost-user, socket: retag.sock, vlan: {access: 10}}
          - {name: move, type: vhost-user, socket: old.sock}
          - {name: gone, type: vhost-user, socket: gone.sock}
          - {name: up, type: uplink, interface: eth0}
        """
    static let after = """
        switch: {log: {level: debug}}
        ports:
          - {name: fresh, type: vhost-user, socket: fresh.sock}
          - {name: up, type: uplink, interface: eth0, mac-limit: 10}
          - {name: move, type: vhost-user, socket: new.sock, vlan: {access: 20}}
          - {name: retag, type: vhost-user, socket: retag.sock, vlan: {access: 11}}
          - {name: keep, type: vhost-user, socket: keep.sock}
        """

    @Test func portsAreClassifiedByName() throws {
        let diff = ConfigurationDiff.diff(old: try parseValid(Self.before), new: try parseValid(Self.after))
        #expect(diff.added.map(\.name) == ["fresh"])
        #expect(diff.removed.map(\.name) == ["gone"])
        #expect(diff.changed.map(\.new.name) == ["up", "move", "retag"])
        #expect(diff.unchanged.map(\.name) == ["keep"])
        #expect(diff.settingsChanged)
        #expect(!diff.isEmpty)
    }

    @Test func changesNameTheFieldsThatDiffer() throws {
        let diff = ConfigurationDiff.diff(old: try parseValid(Self.before), new: try parseValid(Self.after))
        #expect(diff.changed.map(\.fields) == [[.macLimit], [.kind, .vlan], [.vlan]])
        let move = try #require(diff.changed.first { $0.new.name == "move" })
        #expect(move.old.kind == .vhostUser(socketPath: "/run/switchyard/old.sock", mode: .server,
                                            queues: PortConfiguration.defaultQueues))
        #expect(move.new.kind == .vhostUser(socketPath: "/run/switchyard/new.sock", mode: .server,
                                            queues: PortConfiguration.defaultQueues))
    }

    @Test func identicalConfigurationsDiffToNothing() throws {
        let configuration = try parseValid(Self.before)
        let diff = ConfigurationDiff.diff(old: configuration, new: configuration)
        #expect(diff.isEmpty)
        #expect(diff.unchanged.count == 5)
        #expect(!diff.settingsChanged)
    }

    @Test func sameSwitchWrittenDifferentlyIsUnchanged() throws {
        let a = try parseValid(#"ports: [{name: t, type: vhost-user, socket: t.sock, vlan: {trunk: {allowed: ["1-3"]}}}]"#)
        let b = try parseValid("""
            ports:
              - name: t
                type: vhost-user
                socket: /run/switchyard/t.sock
                mode: server
                mtu: 1500
                vlan: {trunk: {allowed: [3, 2, 1]}}
            """)
        #expect(ConfigurationDiff.diff(old: a, new: b).isEmpty)
    }

    @Test func fromNothingEveryPortIsAdded() throws {
        let diff = ConfigurationDiff.diff(old: SwitchConfiguration(), new: try parseValid(Self.before))
        #expect(diff.added.map(\.name) == ["keep", "retag", "move", "gone", "up"])
        #expect(diff.removed.isEmpty && diff.changed.isEmpty && diff.unchanged.isEmpty)
    }
}
