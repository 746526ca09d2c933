import Foundation
import TestSupport
import Testing

/// What the shipped files tell an operator matches what the binaries do: the example config's
/// `--check-config` line, the man pages, the completion scripts (docs/yardctl.md).
@Suite struct YardctlDocsTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func theExampleConfigsCheckConfigLineWorksAsWritten() throws {
        let example = YardctlDocsTests.repo.appendingPathComponent("Config/switchyard.example.yaml").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.contains("switchyard --check-config") })
        // `#   switchyard --check-config /etc/switchyard/switchyard.yaml`: run it on the example itself.
        var words = line.split(separator: " ").map(String.init).drop { $0 != "switchyard" }.dropFirst().map { $0 }
        #expect(words.count == 2 && words[0] == "--check-config", "\(line)")
        words[words.count - 1] = example
        let documented = try runTool("switchyard", words)
        #expect(documented.status == 0 && documented.output.contains("\(example): OK"), "\(documented.output)")
        // The form it used to document fails: --check-config takes the file, not --config.
        let old = try runTool("switchyard", ["--check-config", "--config", example])
        #expect(old.status != 0, "\(old.output)")
    }

    @Test func completionScriptsForBashZshAndFishNameEverySubcommand() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try runTool("yardctl", ["--generate-completion-script", shell])
            #expect(r.status == 0, "\(shell): \(r.output)")
            // fish spells an option `-l 'mac'`, bash and zsh `--mac`.
            let options = shell == "fish" ? ["-l 'mac'", "-l 'socket'", "-l 'iterations'"] : ["--mac", "--socket", "--iterations"]
            for word in ["fdb", "ports", "stats", "top", "reload", "flush"] + options {
                #expect(r.output.contains(word), "\(shell) completion lacks \(word)")
            }
        }
        // bash parses its script (bash is always here; zsh and fish may not be installed).
        let script = NSTemporaryDirectory() + "sy-cli-completion-\(getpid()).bash"
        try runTool("yardctl", ["--generate-completion-script", "bash"]).output.write(toFile: script, atomically: true, encoding: .utf8)
        defer { unlink(script) }
        #expect(try run("bash", ["-n", script]).status == 0)
        // Control: bash -n does reject a broken script.
        try "_yardctl() { if then; }\n".write(toFile: script, atomically: true, encoding: .utf8)
        #expect(try run("bash", ["-n", script]).status != 0)
    }

    /// Completing `--port` (or `fdb add`'s port) asks the daemon on the line's `--socket` for its
    /// port names: the call the bash script makes, `yardctl ---completion ... -- --port CWORD
    /// CURSOR WORDS...`.
    @Test func portNamesCompleteFromTheDaemonOnTheLinesSocket() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let words = ["yardctl", "fdb", "show", "--socket", d.controlSocket, "--port", ""]
        let names = try runTool("yardctl", ["---completion", "fdb", "show", "--", "--port", "6", "0"] + words)
        #expect(names.status == 0 && names.output.split(separator: "\n") == ["vm1", "vm2"], "\(names.output)")
        // No daemon there: no names, and no error on the user's terminal.
        let none = try runTool("yardctl", ["---completion", "fdb", "show", "--", "--port", "6", "0",
                                           "yardctl", "fdb", "show", "--socket", "/tmp/sy-cli-none.sock", "--port", ""])
        #expect(none.status == 0 && none.output.isEmpty, "\(none.output)")
        try d.stop()
    }

    /// The committed man pages (Deploy/man, made by Deploy/generate-manual.sh with
    /// swift-argument-parser's generate-manual plugin) describe the binaries as built: every
    /// subcommand and option the binary reports in `--experimental-dump-help` is in its page.
    @Test(arguments: ["yardctl", "switchyard"])
    func theManPageListsEveryCommandAndOptionOfTheBinary(tool: String) throws {
        let page = try String(contentsOfFile: YardctlDocsTests.repo.appendingPathComponent("Deploy/man/\(tool).1").path, encoding: .utf8)
        let dump = try runTool(tool, ["--experimental-dump-help"])
        #expect(dump.status == 0)
        let info = try #require(try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any])
        var missing: [String] = []
        func visit(_ command: [String: Any]) {
            if let name = command["commandName"] as? String, !page.contains(name) { missing.append(name) }
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                for name in argument["names"] as? [[String: Any]] ?? [] {
                    guard let n = name["name"] as? String, (name["kind"] as? String) == "long" else { continue }
                    // mdoc writes an option `Fl -name` (`Fl h , -help` with a short name).
                    if !page.contains("Fl -\(n)") && !page.contains(" , -\(n)") { missing.append("--\(n)") }
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { visit(sub) }
        }
        visit(try #require(info["command"] as? [String: Any]))
        #expect(missing.isEmpty, "Deploy/man/\(tool).1 lags behind the binary (run Deploy/generate-manual.sh): \(missing)")
    }
}
