import ControlClient
import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Who may connect, end to end with the real daemon (docs/connections.md): socket directories it
/// refuses, socket files created with the configured owner/group/mode, and a peer refused by
/// allowed-uids counted in `yardctl ports --json`. The unprivileged peer is a real process:
/// socat started through `setpriv` as nobody.
@Suite(.serialized) struct SocketAccessDaemonTests {
    private func scratchDirectory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sy-connect-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        return url
    }

    private func startRefused(socketDirectory: String, in scratch: URL) throws -> (status: Int32, output: String) {
        let config = scratch.appendingPathComponent("switchyard.yaml").path
        try """
            switch:
              socket-directory: \(socketDirectory)
            ports:
              - { name: vm1, type: vhost-user, socket: vm1.sock }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        // A daemon that wrongly accepts the directory runs on: give it 10 s, then kill it and fail.
        let p = Process()
        p.executableURL = try DaemonProcess.executable("switchyard")
        p.arguments = ["--config", config]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let exited = (try? waitFor("the daemon to refuse and exit") { !p.isRunning }) != nil
        if !exited { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (exited ? p.terminationStatus : -1, output)
    }

    @Test func refusesASocketDirectoryWritableByOthersOrOwnedByAnotherUser() throws {
        let scratch = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let sockets = scratch.appendingPathComponent("sockets")
        try FileManager.default.createDirectory(at: sockets, withIntermediateDirectories: false)

        chmod(sockets.path, 0o777)
        let open = try startRefused(socketDirectory: sockets.path, in: scratch)
        #expect(open.status == 1)
        #expect(open.output.contains("refusing socket directory \(sockets.path): it is writable by others (mode 777)"), "\(open.output)")
        #expect(!FileManager.default.fileExists(atPath: sockets.appendingPathComponent("vm1.sock").path))

        chmod(sockets.path, 0o775)
        let group = try startRefused(socketDirectory: sockets.path, in: scratch)
        #expect(group.status == 1 && group.output.contains("writable by its group"), "\(group.output)")

        chmod(sockets.path, 0o755)
        chown(sockets.path, 65534, 65534)
        let foreign = try startRefused(socketDirectory: sockets.path, in: scratch)
        #expect(foreign.status == 1)
        #expect(foreign.output.contains("refusing socket directory \(sockets.path): it is owned by uid 65534"), "\(foreign.output)")

        let link = scratch.appendingPathComponent("link").path
        chown(sockets.path, 0, 0)
        symlink(sockets.path, link)
        let linked = try startRefused(socketDirectory: link, in: scratch)
        #expect(linked.status == 1 && linked.output.contains("symbolic link"), "\(linked.output)")

        // Positive control: the same directory, root's and 0755, is accepted (the daemon runs).
        let d = try DaemonProcess(yaml: """
            switch:
              socket-directory: \(sockets.path)
              control-socket: SOCKDIR/control.sock
            ports:
              - { name: vm1, type: vhost-user, socket: vm1.sock }
            """)
        guard case .ports(let ports) = try portsReply(d) else { throw DaemonTestError("not a ports reply") }
        #expect(ports.map(\.state) == ["listening"])
        #expect(FileManager.default.fileExists(atPath: sockets.appendingPathComponent("vm1.sock").path))
        #expect(try d.stop().status == 0)
    }

    @Test func socketFilesGetTheirOwnerGroupAndModeAndARefusedPeerIsCounted() throws {
        let d = try DaemonProcess(yaml: """
            switch:
              socket-directory: SOCKDIR
              control-socket: SOCKDIR/control.sock
              socket-access: { group: nogroup, mode: "0666", allowed-uids: [root] }
            ports:
              - { name: vm1, type: vhost-user, socket: vm1.sock }
              - { name: vm2, type: vhost-user, socket: vm2.sock, socket-access: { owner: nobody, mode: "0600", allowed-uids: [nobody] } }
            """)
        defer { _ = try? d.stop() }
        let vm1 = d.directory.appendingPathComponent("vm1.sock").path
        let vm2 = d.directory.appendingPathComponent("vm2.sock").path
        // The control socket is served once every port is set up.
        guard case .ports(let listening) = try portsReply(d) else { throw DaemonTestError("not a ports reply") }
        #expect(listening.allSatisfy { $0.state == "listening" })
        var st = stat()
        #expect(lstat(vm1, &st) == 0 && st.st_mode & 0o777 == 0o666 && st.st_uid == 0 && st.st_gid == 65534)
        #expect(lstat(vm2, &st) == 0 && st.st_mode & 0o777 == 0o600 && st.st_uid == 65534 && st.st_gid == 65534)

        // nobody can open vm1's socket file (0666) but is not in its allowed-uids: refused, twice.
        for _ in 0..<2 {
            let r = try runProgram(at: URL(fileURLWithPath: "/usr/bin/setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                     "/usr/bin/socat", "-u", "UNIX-CONNECT:\(vm1)", "-"])
            #expect(r.status == 0, "the connect succeeded, then the daemon hung up: \(r.output)")
        }
        // Positive control: nobody on vm2 (its allowed uid) is admitted and stays connected.
        let admitted = Process()
        admitted.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        admitted.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups",
                              "/usr/bin/socat", "-u", "UNIX-CONNECT:\(vm2)", "-"]
        admitted.standardOutput = FileHandle.nullDevice
        try admitted.run()
        defer { if admitted.isRunning { kill(admitted.processIdentifier, SIGKILL) } }

        var ports: [PortStatus] = []
        try waitFor("vm2 connected") {
            guard case .ports(let p)? = try? d.request(.ports) else { return false }
            ports = p
            return p.first { $0.name == "vm2" }?.state == "connected"
        }
        #expect(ports.first { $0.name == "vm1" }?.refusedConnections == 2)
        #expect(ports.first { $0.name == "vm1" }?.state == "listening")
        #expect(ports.first { $0.name == "vm2" }?.refusedConnections == 0)

        let json = try runTool("yardctl", ["--socket", d.controlSocket, "ports", "--json"])
        #expect(json.status == 0)
        #expect(json.output.contains("\"refusedConnections\" : 2") || json.output.contains("\"refusedConnections\":2"), "\(json.output)")
        let (_, log) = try d.stop()
        #expect(log.components(separatedBy: "refused a vhost-user connection").count - 1 == 1,
                "one warning for two refusals: \(log)")
    }
}

/// The ports reply, retried while the control socket exists but is not listening yet (bind and
/// listen are two steps).
func portsReply(_ d: DaemonProcess) throws -> ControlResponse {
    var reply: ControlResponse?
    try waitFor("the control socket to answer") {
        reply = try? d.request(.ports)
        return reply != nil
    }
    return reply!
}

extension SocketAccessDaemonTests {
    /// Client mode: a local user binds the path QEMU would listen on. The daemon connects (as
    /// root), reads the listener's uid with SO_PEERCRED and hangs up.
    @Test func clientModeRefusesAListenerRunByAUIDNotAllowedAndCountsIt() throws {
        let shared = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sy-connect-qemu-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        chown(shared.path, 65534, 65534)
        defer { try? FileManager.default.removeItem(at: shared) }
        let path = shared.appendingPathComponent("vm1.sock").path

        let squatter = Process()
        squatter.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        squatter.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups",
                              "/usr/bin/socat", "-u", "UNIX-LISTEN:\(path),fork", "/dev/null"]
        try squatter.run()
        // SIGKILL: children of this test process inherit its blocked SIGTERM (signalfd tests).
        defer { if squatter.isRunning { kill(squatter.processIdentifier, SIGKILL) } }
        try waitFor("the squatter to listen") { FileManager.default.fileExists(atPath: path) }

        let d = try DaemonProcess(yaml: """
            switch:
              socket-directory: SOCKDIR
              control-socket: SOCKDIR/control.sock
              socket-access: { allowed-uids: [root] }
            ports:
              - { name: vm1, type: vhost-user, socket: \(path), mode: client }
            """)
        var refused = 0
        try waitFor("a refusal") {
            guard case .ports(let p)? = try? d.request(.ports) else { return false }
            refused = p.first?.refusedConnections ?? 0
            return refused >= 1 && p.first?.state == "connecting"
        }
        #expect(refused >= 1)
        kill(squatter.processIdentifier, SIGKILL)
        squatter.waitUntilExit()

        // Positive control: root listens on the path (like QEMU as an allowed uid): connected.
        unlink(path)
        let qemu = Process()
        qemu.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        qemu.arguments = ["-u", "UNIX-LISTEN:\(path)", "/dev/null"]
        try qemu.run()
        defer { if qemu.isRunning { kill(qemu.processIdentifier, SIGKILL) } }
        try waitFor("the daemon to connect to an allowed listener", timeout: 5) {
            guard case .ports(let p)? = try? d.request(.ports) else { return false }
            return p.first?.state == "connected"
        }
        let (_, log) = try d.stop()
        #expect(log.contains("listener runs as uid 65534"), "\(log)")
    }
}
