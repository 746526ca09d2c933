import ControlProtocol
import Foundation
import Testing
import VhostTestFrontEnd

/// The traps of issue #12 item 8, each run through the real `yardctl` against the real daemon,
/// each refusal next to the same command succeeding for legitimate input (docs/yardctl.md).
@Suite(.serialized) struct YardctlTrapTests {
    @Test func fdbShowForAnUnknownPortFailsNamingThePortsInsteadOfAnEmptyTable() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        #expect(try d.yardctl("fdb", "add", "vm1", "10", "52:54:00:aa:bb:01").status == 0)
        let real = try d.yardctl("fdb", "show", "--port", "vm1")
        #expect(real.status == 0 && real.stdout.contains("52:54:00:aa:bb:01"), "\(real.output)")
        let typo = try d.yardctl("fdb", "show", "--port", "vm11")
        #expect(typo.status == 1)
        #expect(typo.stdout.isEmpty, "no table at all: \(typo.stdout)")
        #expect(typo.stderr == "yardctl: no port named vm11 (ports: vm1, vm2)\n", "\(typo.stderr)")
        // The same for the request on the wire (an older yardctl gets the sentence too).
        guard case .failure = try d.request(.fdbShow(port: "vm11")) else { throw DaemonTestError("must fail") }
        // A VLAN id out of range is a usage error before any request; a real one works.
        let badVLAN = try d.yardctl("fdb", "show", "--vlan", "5000")
        #expect(badVLAN.status != 0 && badVLAN.stderr.contains("1...4094"), "\(badVLAN.output)")
        guard case .failure(let why) = try d.request(.fdbShow(vlan: 5000)) else { throw DaemonTestError("must fail") }
        #expect(why == "VLAN 5000 is out of range 1...4094")
        #expect(try d.yardctl("fdb", "show", "--vlan", "10").stdout.contains("52:54:00:aa:bb:01"))
        try d.stop()
    }

    @Test func fdbFlushWithPortAndVLANFlushesOnlyThatVLANOfThatPort() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        // vm2 is a trunk (1, 10, 20): one station learned on it in VLAN 10 and one in VLAN 20;
        // vm1 (access 10) learns a third.
        let vm1 = try d.connectGuest("vm1")
        let vm2 = try d.connectGuest("vm2")
        try vm2.send(frame: YardctlFrames.make(to: YardctlFrames.broadcast, from: YardctlFrames.mac(10), vlan: 10))
        try vm2.send(frame: YardctlFrames.make(to: YardctlFrames.broadcast, from: YardctlFrames.mac(20), vlan: 20))
        try vm1.send(frame: YardctlFrames.make(to: YardctlFrames.broadcast, from: YardctlFrames.mac(1)))
        func learned() throws -> [FDBEntryInfo] {
            guard case .fdb(let t) = try d.request(.fdbShow()) else { throw DaemonTestError("no fdb") }
            return t.entries
        }
        try waitFor("three stations learned", timeout: 5) { (try? learned())?.count == 3 }

        let flushed = try d.yardctl("fdb", "flush", "--port", "vm2", "--vlan", "20")
        #expect(flushed.status == 0 && flushed.stdout == "flushed 1 entries of port vm2 in VLAN 20\n", "\(flushed.output)")
        let left = try learned().map { "\($0.port)/\($0.vlan)/\($0.mac)" }.sorted()
        #expect(left == ["vm1/10/\(YardctlFrames.text(YardctlFrames.mac(1)))",
                         "vm2/10/\(YardctlFrames.text(YardctlFrames.mac(10)))"], "\(left)")
        // Control: --port alone still takes every VLAN of the port.
        #expect(try d.yardctl("fdb", "flush", "--port", "vm2").stdout == "flushed 1 entries of port vm2\n")
        #expect(try learned().map(\.port) == ["vm1"])
        let typo = try d.yardctl("fdb", "flush", "--port", "vm3", "--vlan", "10")
        #expect(typo.status == 1 && typo.stderr.contains("no port named vm3 (ports: vm1, vm2)"), "\(typo.output)")
        vm1.disconnect()
        vm2.disconnect()
        try d.stop()
    }

    @Test func fdbShowFiltersByMACInAnyCaseOrSeparator() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        #expect(try d.yardctl("fdb", "add", "vm1", "10", "52:54:00:aa:bb:01").status == 0)
        #expect(try d.yardctl("fdb", "add", "vm2", "20", "52:54:00:aa:bb:02").status == 0)
        let one = try d.yardctl("fdb", "show", "--mac", "52-54-00-AA-BB-02")
        #expect(one.status == 0 && one.stdout.contains("52:54:00:aa:bb:02") && !one.stdout.contains("52:54:00:aa:bb:01"),
                "\(one.output)")
        guard case .fdb(let wire) = try d.request(.fdbShow(mac: "52:54:00:aa:bb:01")) else { throw DaemonTestError("no fdb") }
        #expect(wire.entries.map(\.port) == ["vm1"])
        // Filters combine: the MAC is on vm2, not vm1.
        guard case .fdb(let none) = try d.request(.fdbShow(port: "vm1", mac: "52:54:00:aa:bb:02")) else { throw DaemonTestError("no fdb") }
        #expect(none.entries.isEmpty)
        let bad = try d.yardctl("fdb", "show", "--mac", "52:54:00:aa:bb")
        #expect(bad.status == 1 && bad.stderr.contains("'52:54:00:aa:bb' is not a MAC address"), "\(bad.output)")
        try d.stop()
    }

    @Test func aStaticEntryInAVLANThePortDoesNotCarryIsRefusedWithASentence() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let access = try d.yardctl("fdb", "add", "vm1", "20", "52:54:00:aa:bb:01")
        #expect(access.status == 1)
        #expect(access.stderr == "yardctl: port vm1 does not carry VLAN 20 (it is access 10): a static entry there would never be used\n",
                "\(access.stderr)")
        let trunk = try d.yardctl("fdb", "add", "vm2", "30", "52:54:00:aa:bb:02")
        #expect(trunk.status == 1 && trunk.stderr.contains("port vm2 does not carry VLAN 30 (it is trunk 1,10,20 native 1)"),
                "\(trunk.stderr)")
        // Controls: the VLANs they do carry, the trunk's native one included.
        #expect(try d.yardctl("fdb", "add", "vm1", "10", "52:54:00:aa:bb:01").status == 0)
        #expect(try d.yardctl("fdb", "add", "vm2", "20", "52:54:00:aa:bb:02").status == 0)
        #expect(try d.yardctl("fdb", "add", "vm2", "1", "52:54:00:aa:bb:03").status == 0)
        guard case .fdbStats(let s) = try d.request(.fdbStats) else { throw DaemonTestError("no stats") }
        #expect(s.staticCount == 3)
        try d.stop()
    }

    @Test func everyFDBRefusalIsASentenceNotASwiftCaseName() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let cases: [(arguments: [String], says: String)] = [
            (["fdb", "add", "vm1", "10", "ff:ff:ff:ff:ff:ff"],
             "ff:ff:ff:ff:ff:ff is the broadcast address: static entries are for one station (unicast)"),
            (["fdb", "add", "vm1", "10", "01:00:5e:00:00:01"],
             "01:00:5e:00:00:01 is a multicast address (group bit set): static entries are for one station (unicast)"),
            (["fdb", "add", "vm1", "10", "52:54:00:aa:bb"], "'52:54:00:aa:bb' is not a MAC address"),
            (["fdb", "add", "nope", "10", "52:54:00:aa:bb:01"], "no port named nope (ports: vm1, vm2)"),
            (["fdb", "del", "10", "52:54:00:aa:bb:09"], "no entry for 52:54:00:aa:bb:09 on VLAN 10"),
            (["fdb", "del", "10", "zz"], "'zz' is not a MAC address"),
        ]
        for c in cases {
            let r = try DaemonTests.yardctl(c.arguments + ["--socket", d.controlSocket])
            #expect(r.status == 1, "\(c.arguments)")
            #expect(r.stderr.hasPrefix("yardctl: \(c.says)"), "\(c.arguments): \(r.stderr)")
            for name in ["multicastAddress", "invalidVLAN", "noSuchPort", "noSuchEntry", "refused", "notAMember"] {
                #expect(!r.stderr.contains(name), "a Swift case name: \(r.stderr)")
            }
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        // Control: a unicast address on a VLAN of the port, added and deleted.
        #expect(try d.yardctl("fdb", "add", "vm1", "10", "52:54:00:aa:bb:09").stdout == "added static 52:54:00:aa:bb:09 on VLAN 10 → vm1\n")
        #expect(try d.yardctl("fdb", "del", "10", "52:54:00:aa:bb:09").stdout == "deleted 52:54:00:aa:bb:09 on VLAN 10\n")
        try d.stop()
    }

    @Test func globalOptionsMayComeBeforeOrAfterTheSubcommand() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let before = try DaemonTests.yardctl(["--socket", d.controlSocket, "--json", "ports"])
        let after = try DaemonTests.yardctl(["ports", "--json", "--socket", d.controlSocket])
        let mixed = try DaemonTests.yardctl(["--json", "fdb", "show", "--socket", d.controlSocket])
        let nested = try DaemonTests.yardctl(["fdb", "--socket", d.controlSocket, "show", "--json"])
        #expect(before.status == 0 && after.status == 0 && mixed.status == 0 && nested.status == 0,
                "\(before.output) \(after.output) \(mixed.output) \(nested.output)")
        let ports = try jsonObject(before.stdout)["ports"] as? [[String: Any]]
        #expect(ports?.compactMap { $0["name"] as? String } == ["vm1", "vm2"])
        #expect(try jsonObject(after.stdout)["ports"] as? [[String: Any]] != nil)
        #expect(try jsonObject(mixed.stdout)["fdb"] != nil && jsonObject(nested.stdout)["fdb"] != nil)
        // Unknown options are still errors wherever they stand.
        let unknown = try DaemonTests.yardctl(["--sockett", d.controlSocket, "ports"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--sockett"), "\(unknown.output)")
        try d.stop()
    }

    @Test func everyJSONReplyCarriesTheFormatVersionAndOneDocumentedKey() throws {
        let d = try DaemonProcess(yaml: twoPorts)
        let commands: [(arguments: [String], key: String)] = [
            (["ports"], "ports"), (["stats"], "stats"), (["fdb", "show"], "fdb"), (["fdb", "stats"], "fdbStats"),
            (["fdb", "add", "vm1", "10", "52:54:00:aa:bb:01"], "result"), (["fdb", "flush"], "result"),
            (["reload"], "result"), (["fdb", "show", "--port", "typo"], "error"),
        ]
        for c in commands {
            let r = try DaemonTests.yardctl(c.arguments + ["--json", "--socket", d.controlSocket])
            #expect(r.status == (c.key == "error" ? 1 : 0), "\(c.arguments): \(r.output)")
            let object = try jsonObject(r.stdout)
            #expect(object["version"] as? Int == 1, "\(c.arguments): \(r.stdout)")
            #expect(Set(object.keys) == ["version", c.key], "\(c.arguments): \(object.keys)")
        }
        let fdb = try jsonObject(try d.yardctl("fdb", "show", "--json").stdout)["fdb"] as? [String: Any]
        let entry = (fdb?["entries"] as? [[String: Any]])?.first
        #expect(Set(entry?.keys.map { $0 } ?? []) == ["port", "vlan", "mac", "isStatic"], "ageSeconds is absent for a static entry")
        #expect(entry?["mac"] as? String == "52:54:00:aa:bb:01")
        let stats = try jsonObject(try d.yardctl("stats", "--json").stdout)["stats"] as? [String: Any]
        #expect(stats?["monotonicNanoseconds"] as? Int != nil)
        // No daemon: the error is JSON too, on stdout, with exit status 1.
        let gone = try DaemonTests.yardctl(["--json", "ports", "--socket", "/tmp/sy-cli-no-daemon.sock"])
        let goneError = try jsonObject(gone.stdout)["error"] as? String
        #expect(gone.status == 1 && goneError?.contains("/tmp/sy-cli-no-daemon.sock") == true, "\(gone.output)")
        try d.stop()
    }

    /// Older daemons' replies have none of the new optional fields: they still decode.
    @Test func repliesOfAnOlderDaemonStillDecode() throws {
        let oldPorts = #"{"ports":{"_0":[{"name":"vm1","type":"vhost-user","state":"listening","vlanMode":"access 10","#
            + #""endpoint":"/run/switchyard/vm1.sock (server)","macCount":0,"features":[],"queues":1,"enabledQueues":0,"#
            + #""mtu":1500,"counters":{"rxFrames":1,"rxBytes":64,"txFrames":0,"txBytes":0,"drops":{}}}]}}"#
        guard case .ports(let ports) = try ControlCodec.decode(ControlResponse.self, from: Array(oldPorts.utf8)) else {
            throw DaemonTestError("not a ports reply")
        }
        #expect(ports.first?.monotonicNanoseconds == nil && ports.first?.counters.rxFrames == 1)
        // An older yardctl's fdbShow (no mac key) decodes with mac nil.
        let oldRequest = #"{"fdbShow":{"vlan":10,"port":"vm1"}}"#
        #expect(try ControlCodec.decode(ControlRequest.self, from: Array(oldRequest.utf8)) == .fdbShow(vlan: 10, port: "vm1", mac: nil))
    }
}
