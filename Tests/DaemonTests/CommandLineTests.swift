import Foundation
import Testing

@Suite struct CommandLineTests {
    @Test func yardctlWithoutADaemonFailsWithOneLineNamingTheSocket() throws {
        let (status, output) = try runTool("yardctl", ["ports", "--socket", "/tmp/no-such-switchyard.sock"])
        #expect(status == 1)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(output.contains("/tmp/no-such-switchyard.sock"))
    }

    @Test func checkConfigAcceptsTheShippedConfigs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for file in ["Config/switchyard.yaml", "Config/switchyard.example.yaml"] {
            let (status, output) = try runTool("switchyard", ["--check-config", root.appendingPathComponent(file).path])
            #expect(status == 0, "\(file): \(output)")
        }
    }

    @Test func checkConfigNamesFileLineAndKeyForAnUnknownKeyAndABadVLAN() throws {
        let path = NSTemporaryDirectory() + "sy-bad-\(getpid()).yaml"
        try """
        ports:
          - name: vm1
            type: vhost-user
            socket: /tmp/a.sock
            mac-limt: 4
          - name: vm2
            type: vhost-user
            socket: /tmp/b.sock
            vlan: { access: 5000 }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let (status, output) = try runTool("switchyard", ["--check-config", path])
        #expect(status != 0)
        #expect(output.contains("\(path):5:5:") && output.contains("mac-limt") && output.contains("did you mean 'mac-limit'"))
        #expect(output.contains("\(path):9:") && output.contains("ports[1].vlan.access") && output.contains("5000"))
    }

    @Test func daemonRefusesToStartOnABadConfig() throws {
        let path = NSTemporaryDirectory() + "sy-bad2-\(getpid()).yaml"
        try "switch:\n  fdb:\n    capacityy: 10\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let (status, output) = try runTool("switchyard", ["--config", path])
        #expect(status == 1)
        #expect(output.contains("\(path):3:5:") && output.contains("capacityy"))
    }
}
