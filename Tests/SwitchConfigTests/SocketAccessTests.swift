import SwitchConfig
import Testing

/// `socket-access: { owner, group, mode, allowed-uids }` under `switch:` and per port
/// (docs/connections.md).
@Suite struct SocketAccessConfigTests {
    @Test func switchDefaultsApplyToEveryVhostUserPortAndAPortOverridesKeyByKey() throws {
        let configuration = try parseValid("""
            switch:
              socket-access: { owner: root, group: nogroup, mode: "0660", allowed-uids: [nobody, 0] }
            ports:
              - { name: a, type: vhost-user, socket: a.sock }
              - { name: b, type: vhost-user, socket: b.sock, socket-access: { mode: 0600, allowed-uids: [1000] } }
              - { name: c, type: vhost-user, socket: c.sock, mode: client, socket-access: { allowed-uids: [65534] } }
            """)
        let defaults = SocketAccessSettings(owner: 0, group: 65534, mode: 0o660, allowedUIDs: [65534, 0])
        #expect(configuration.settings.socketAccess == defaults)
        #expect(configuration.ports[0].socketAccess == defaults)
        #expect(configuration.ports[1].socketAccess == SocketAccessSettings(owner: 0, group: 65534, mode: 0o600, allowedUIDs: [1000]))
        #expect(configuration.ports[2].socketAccess.allowedUIDs == [65534])
    }

    @Test func leftOutMeansDaemonOwnedMode0660AndAnyUID() throws {
        let configuration = try parseValid("ports: [{ name: a, type: vhost-user, socket: a.sock }]")
        #expect(configuration.ports[0].socketAccess == SocketAccessSettings())
        #expect(SocketAccessSettings.defaultMode == 0o660)
    }

    @Test func modeIsOctalHoweverItIsWritten() throws {
        for text in ["0660", "\"0660\"", "0o660", "660"] {
            let c = try parseValid("switch: { socket-access: { mode: \(text) } }")
            #expect(c.settings.socketAccess.mode == 0o660, "\(text)")
        }
    }

    @Test func unknownUserOrGroupIsAnErrorWithItsPosition() throws {
        let error = try singleDiagnostic("""
            switch:
              socket-access: { group: no-such-group-connect }
            """)
        #expect(error.kind == .invalidValue)
        #expect(error.line == 2 && error.column == 27)
        #expect(error.message.contains("unknown group 'no-such-group-connect'"))
        let user = try singleDiagnostic("switch: { socket-access: { allowed-uids: [root, no-such-user-connect] } }")
        #expect(user.keyPath == "switch.socket-access.allowed-uids[1]")
        #expect(user.message.contains("unknown user 'no-such-user-connect'"))
    }

    @Test func badModesAreRefused() throws {
        #expect(try singleDiagnostic("switch: { socket-access: { mode: 0889 } }").message.contains("octal"))
        #expect(try singleDiagnostic("switch: { socket-access: { mode: 4660 } }").kind == .outOfRange)
        #expect(try singleDiagnostic("switch: { socket-access: { mode: 0066 } }").message.contains("owner"))
        #expect(try singleDiagnostic("switch: { socket-access: { mode: [1] } }").kind == .wrongType)
    }

    @Test func anEmptyAllowListAndAnOutOfRangeIdAreRefused() throws {
        #expect(try singleDiagnostic("switch: { socket-access: { allowed-uids: [] } }").message.contains("no front-end could ever connect"))
        #expect(try singleDiagnostic("switch: { socket-access: { allowed-uids: [4294967295] } }").kind == .outOfRange)
        #expect(try singleDiagnostic("switch: { socket-access: { alowed-uids: [0] } }").message.contains("did you mean 'allowed-uids'"))
    }

    @Test func socketFileKeysDoNotApplyToClientModeAndNothingAppliesToUplinks() throws {
        let client = try singleDiagnostic("""
            ports:
              - { name: c, type: vhost-user, socket: c.sock, mode: client, socket-access: { owner: 0, allowed-uids: [0] } }
            """)
        #expect(client.kind == .inapplicableKey)
        #expect(client.keyPath == "ports[0].socket-access.owner")
        #expect(client.message.contains("server-mode"))
        let uplink = try singleDiagnostic("ports: [{ name: u, type: uplink, interface: eth0, socket-access: { mode: 0600 } }]")
        #expect(uplink.kind == .inapplicableKey)
        #expect(uplink.message.contains("only to vhost-user"))
    }
}
