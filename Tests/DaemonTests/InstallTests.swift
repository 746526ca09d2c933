import Foundation
import TestSupport
import Testing

/// Deploy/install.sh staged into a scratch DESTDIR, and the libvirt example checked against
/// libvirt's own schema (docs/deploy.md).
@Suite(.serialized) struct InstallTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int
    }

    @Test func installStagesBinariesUnitTmpfilesDocsAndAConfigItNeverOverwrites() throws {
        let dest = NSTemporaryDirectory() + "systemd-install-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let bin = try DaemonProcess.executable("switchyard").deletingLastPathComponent().path
        let script = InstallTests.repo.appendingPathComponent("Deploy/install.sh").path
        let env = ["DESTDIR": dest, "BIN_DIR": bin]
        let first = try runProgram(at: URL(fileURLWithPath: script), [], environment: env)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("installed \(dest)/etc/switchyard/switchyard.yaml"))
        for (path, expected) in [("/usr/local/bin/switchyard", 0o755), ("/usr/local/bin/yardctl", 0o755),
                                 ("/usr/local/lib/systemd/system/switchyard.service", 0o644),
                                 ("/usr/local/lib/tmpfiles.d/switchyard.conf", 0o644),
                                 ("/usr/local/share/doc/switchyard/deploy.md", 0o644),
                                 ("/usr/local/share/doc/switchyard/switchyard-metrics.conf", 0o644),
                                 ("/etc/switchyard/switchyard.yaml", 0o644),
                                 ("/usr/local/share/man/man1/yardctl.1", 0o644), ("/usr/local/share/man/man1/switchyard.1", 0o644),
                                 ("/usr/local/share/bash-completion/completions/yardctl", 0o644),
                                 ("/usr/local/share/zsh/site-functions/_yardctl", 0o644),
                                 ("/usr/local/share/fish/vendor_completions.d/yardctl.fish", 0o644),
                                 ("/usr/local/share/bash-completion/completions/switchyard", 0o644)] {
            #expect(mode(dest + path) == expected, "\(path)")
        }
        // The completions are the installed binary's own (docs/yardctl.md): they know `top`.
        let bash = try String(contentsOfFile: dest + "/usr/local/share/bash-completion/completions/yardctl", encoding: .utf8)
        #expect(bash.contains("complete") && bash.contains("top") && bash.contains("--mac"))
        let config = dest + "/etc/switchyard/switchyard.yaml"
        let check = try runTool("switchyard", ["--check-config", config])
        #expect(check.status == 0, "the installed default config is valid: \(check.output)")
        let tmpfiles = try String(contentsOfFile: dest + "/usr/local/lib/tmpfiles.d/switchyard.conf", encoding: .utf8)
        #expect(tmpfiles.contains("d /run/switchyard 0755 root root -"))

        // An admin's edits survive a reinstall; the binaries are replaced.
        try "# mine\n".write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dest + "/usr/local/bin/yardctl")
        let second = try runProgram(at: URL(fileURLWithPath: script), [], environment: env)
        #expect(second.status == 0 && second.output.contains("kept \(config)"), "\(second.output)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "# mine\n")
        #expect(mode(dest + "/usr/local/bin/yardctl") == 0o755)
    }

    @Test func libvirtExampleIsAValidDomainOnTheDefaultPortSocket() throws {
        let xml = InstallTests.repo.appendingPathComponent("Deploy/libvirt-interface.xml").path
        let valid = try runProgram(at: URL(fileURLWithPath: "/usr/bin/virt-xml-validate"), [xml, "domain"])
        #expect(valid.status == 0 && valid.output.contains("validates"), "\(valid.output)")
        let text = try String(contentsOfFile: xml, encoding: .utf8)
        for element in ["<source type='memfd'/>", "<access mode='shared'/>", "<interface type='vhostuser'>",
                        "<source type='unix' path='/run/switchyard/vm1.sock' mode='client'>"] {
            #expect(text.contains(element), "\(element)")
        }
        // The socket it names is the one the default config's vm1 serves.
        let config = try String(contentsOfFile: InstallTests.repo.appendingPathComponent("Config/switchyard.yaml").path, encoding: .utf8)
        #expect(config.contains("socket-directory: /run/switchyard") && config.contains("socket: vm1.sock"))
        // Negative control: the schema does reject a broken domain.
        let broken = NSTemporaryDirectory() + "systemd-broken-\(getpid()).xml"
        try text.replacingOccurrences(of: "<interface type='vhostuser'>", with: "<interface type='vhostuzer'>")
            .write(toFile: broken, atomically: true, encoding: .utf8)
        defer { unlink(broken) }
        #expect(try runProgram(at: URL(fileURLWithPath: "/usr/bin/virt-xml-validate"), [broken, "domain"]).status != 0)
    }
}
