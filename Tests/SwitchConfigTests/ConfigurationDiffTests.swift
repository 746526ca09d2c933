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

/// Which changes a reload applies to the running port and which re-create it (docs/reload.md).
@Suite struct ReloadClassificationTests {
    private func change(_ before: String, _ after: String) throws -> ConfigurationDiff.Change {
        let diff = ConfigurationDiff.diff(old: try parseValid("ports: [\(before)]"), new: try parseValid("ports: [\(after)]"))
        return try #require(diff.changed.first)
    }

    @Test func vlanLimitsSecurityMTUAndStaticMACsChangeInPlace() throws {
        let base = "{name: a, type: vhost-user, socket: a, vlan: {access: 10}"
        let edits = [
            ("vlan: {trunk: {allowed: [10, 20], native: 10}}", "vlan"), ("mac-limit: 5", "mac-limit"),
            ("mtu: 9000", "mtu"), ("limits: {min-mss: 500}", "limits"), ("isolated: true", "isolated"),
            (#"source-macs: ["52:54:00:00:00:01"]"#, "source-macs"), ("storm-control: {broadcast: 10}", "storm-control"),
            (#"static-macs: [{mac: "52:54:00:00:00:01"}]"#, "static-macs"),
        ]
        for (edit, key) in edits {
            let after = edit.hasPrefix("vlan") ? "{name: a, type: vhost-user, socket: a, \(edit)}" : "\(base), \(edit)}"
            let c = try change(base + "}", after)
            #expect(c.isInPlace, "\(edit)")
            #expect(c.keys == [key], "\(edit)")
        }
    }

    @Test func whatAndWhereAPortConnectsReCreateIt() throws {
        let cases: [(String, String, [String])] = [
            ("{name: a, type: vhost-user, socket: a}", "{name: a, type: vhost-user, socket: b}", ["socket"]),
            ("{name: a, type: vhost-user, socket: a}", "{name: a, type: vhost-user, socket: a, mode: client}", ["mode"]),
            ("{name: a, type: vhost-user, socket: a}", "{name: a, type: vhost-user, socket: a, queues: 2}", ["queues"]),
            ("{name: a, type: vhost-user, socket: a}", "{name: a, type: vhost-user, socket: a, socket-access: {mode: 0600}}",
             ["socket-access"]),
            ("{name: a, type: vhost-user, socket: a}", "{name: a, type: tap, interface: t0, mac-limit: 256}", ["type"]),
            ("{name: a, type: uplink, interface: e0}", "{name: a, type: uplink, interface: e1}", ["interface"]),
            ("{name: a, type: tap, interface: t0}", "{name: a, type: tap, interface: t0, mtu: 9000}", ["mtu"]),
        ]
        for (before, after, keys) in cases {
            let c = try change(before, after)
            #expect(!c.isInPlace, "\(after)")
            #expect(c.keys == keys, "\(after)")
        }
    }

    @Test func staticMACsWrittenInAnotherOrderAreNoChange() throws {
        let a = try parseValid(#"ports: [{name: a, type: vhost-user, socket: a, static-macs: [{mac: "52:54:00:00:00:01"}, {mac: "52:54:00:00:00:02"}]}]"#)
        let b = try parseValid(#"ports: [{name: a, type: vhost-user, socket: a, static-macs: [{mac: "52:54:00:00:00:02"}, {mac: "52:54:00:00:00:01", vlan: 1}]}]"#)
        #expect(ConfigurationDiff.diff(old: a, new: b).isEmpty)
    }
}
