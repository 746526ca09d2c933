import SwitchConfig
import Testing

@Suite struct SocketResolutionTests {
    private func socketPaths(_ yaml: String) throws -> [String] {
        try parseValid(yaml).ports.compactMap { port in
            if case .vhostUser(let path, _, _) = port.kind { return path }
            return nil
        }
    }

    @Test func relativeSocketResolvesInTheSocketDirectory() throws {
        let paths = try socketPaths("""
            switch:
              socket-directory: /var/lib/sy
            ports:
              - {name: a, type: vhost-user, socket: a.sock}
              - {name: b, type: vhost-user, socket: guests/b.sock}
              - {name: c, type: vhost-user, socket: ../c.sock}
            """)
        #expect(paths == ["/var/lib/sy/a.sock", "/var/lib/sy/guests/b.sock", "/var/lib/c.sock"])
    }

    @Test func absoluteSocketIsKeptButNormalised() throws {
        #expect(try socketPaths("ports: [{name: a, type: vhost-user, socket: //tmp/./x//a.sock}]") == ["/tmp/x/a.sock"])
    }

    @Test func relativeControlSocketResolvesInTheSocketDirectory() throws {
        let settings = try parseValid("switch: {socket-directory: /srv/sy, control-socket: ctl.sock}").settings
        #expect(settings.controlSocket == "/srv/sy/ctl.sock")
    }

    @Test func socketDirectoryIsUsedEvenWhenWrittenAfterThePorts() throws {
        let paths = try socketPaths("""
            ports:
              - {name: a, type: vhost-user, socket: a.sock}
            switch:
              socket-directory: /opt/sy
            """)
        #expect(paths == ["/opt/sy/a.sock"])
    }

    @Test func sameFileReachedTwoWaysIsADuplicate() {
        let errors = diagnostics("""
            switch: {socket-directory: /run/sy}
            ports:
              - {name: a, type: vhost-user, socket: x/../a.sock}
              - {name: b, type: vhost-user, socket: /run/sy/a.sock}
            """)
        #expect(errors.map(\.kind) == [.duplicateSocketPath])
        #expect(errors.first?.keyPath == "ports[1].socket")
    }

    @Test func socketPathNamingADirectoryIsRejected() throws {
        let error = try singleDiagnostic("ports: [{name: a, type: vhost-user, socket: sub/}]")
        #expect(error.message == "socket path 'sub/' does not name a file")
    }
}
