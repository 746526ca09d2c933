import Foundation
import TestSupport
import Testing

/// Deploy/switchyard.service checked by systemd's own tools (Deploy/check-unit.sh: verify and the
/// offline security score, in a scratch root; no running systemd needed).
@Suite(.serialized) struct UnitFileTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Deploy")

    func check(_ unit: URL) throws -> (status: Int32, output: String) {
        let r = try runProgram(at: UnitFileTests.deploy.appendingPathComponent("check-unit.sh"),
                               [unit.path, try DaemonProcess.executable("switchyard").path])
        return (r.status, r.output)
    }

    /// A copy of the shipped unit with `edit` applied, under a name of its own.
    func variant(_ name: String, _ edit: (String) -> String) throws -> URL {
        let text = try String(contentsOf: UnitFileTests.deploy.appendingPathComponent("switchyard.service"), encoding: .utf8)
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("systemd-\(name)-\(getpid()).service")
        try edit(text).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func shippedUnitVerifiesCleanAndScoresAtMostTwo() throws {
        let unit = UnitFileTests.deploy.appendingPathComponent("switchyard.service")
        let text = try String(contentsOf: unit, encoding: .utf8)
        for line in ["Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "RuntimeDirectory=switchyard",
                     "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN", "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_PACKET"] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "\(line)")
        }
        let (status, output) = try check(unit)
        #expect(status == 0, "\(output)")
        #expect(output.contains("verify: switchyard.service: clean"))
        #expect(output.contains("security: exposure 1."), "\(output)")
    }

    @Test func aTypoOrMissingHardeningFailsTheCheck() throws {
        let typo = try variant("typo") { $0.replacingOccurrences(of: "Type=notify\n", with: "Type=notfy\n") }
        defer { try? FileManager.default.removeItem(at: typo) }
        let (typoStatus, typoOutput) = try check(typo)
        #expect(typoStatus == 1 && typoOutput.contains("Failed to parse service type"), "\(typoOutput)")
        let soft = try variant("soft") {
            $0.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("CapabilityBoundingSet=") && !$0.hasPrefix("SystemCallFilter=") && !$0.hasPrefix("ProtectSystem=") }
                .joined(separator: "\n")
        }
        defer { try? FileManager.default.removeItem(at: soft) }
        let (softStatus, softOutput) = try check(soft)
        #expect(softStatus == 1 && softOutput.contains("clean") && !softOutput.contains("exposure 1."), "\(softOutput)")
    }

    /// Deploy/switchyard-metrics.conf merged into the unit (a second [Service] section merges as a
    /// drop-in does): still verifies clean; the exposure it costs is printed (docs/deploy.md).
    @Test func theMetricsDropInVerifiesCleanWithTheUnit() throws {
        let dropIn = try String(contentsOf: UnitFileTests.deploy.appendingPathComponent("switchyard-metrics.conf"), encoding: .utf8)
        #expect(dropIn.contains("RestrictAddressFamilies=AF_INET AF_INET6") && dropIn.contains("IPAddressAllow=localhost"))
        let merged = try variant("metrics") { $0 + "\n" + dropIn }
        defer { try? FileManager.default.removeItem(at: merged) }
        let r = try runProgram(at: UnitFileTests.deploy.appendingPathComponent("check-unit.sh"),
                               [merged.path, try DaemonProcess.executable("switchyard").path], environment: ["MAX_EXPOSURE": "3.0"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("verify: systemd-metrics-\(getpid()).service: clean"), "\(r.output)")
        print("measured: unit + metrics drop-in: \(r.output.split(separator: "\n").filter { $0.hasPrefix("security:") })")
    }
}
