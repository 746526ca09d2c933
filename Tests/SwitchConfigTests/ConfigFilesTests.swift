import SwitchConfig
import Testing

@Suite struct ConfigFilesTests {
    @Test func defaultConfigLoadsAsTwoServerPortsOnVLAN1() throws {
        let configuration = try SwitchConfiguration.load(path: repositoryRoot + "/Config/switchyard.yaml")
        #expect(configuration == SwitchConfiguration(
            settings: SwitchSettings(fdb: FDBSettings(agingSeconds: 300, capacity: 8192),
                                     socketDirectory: "/run/switchyard",
                                     controlSocket: "/run/switchyard/control.sock",
                                     log: LogSettings(level: .info, format: .text)),
            ports: [vhostUser("vm1", "/run/switchyard/vm1.sock"), vhostUser("vm2", "/run/switchyard/vm2.sock")]))
    }

    @Test func exampleConfigLoadsWithEveryKeyApplied() throws {
        let configuration = try SwitchConfiguration.load(path: repositoryRoot + "/Config/switchyard.example.yaml")
        var settings = SwitchSettings(
            fdb: FDBSettings(agingSeconds: 300, capacity: 8192),
            socketDirectory: "/run/switchyard",
            controlSocket: "/run/switchyard/control.sock",
            log: LogSettings(level: .info, format: .text),
            datapath: DatapathSettings(cpus: [1], idle: .sleep))
        settings.socketAccess = SocketAccessSettings(owner: 0, group: 0, mode: 0o660, allowedUIDs: [0])
        settings.metrics = MetricsSettings(listen: ListenAddress(family: .ipv4, host: "127.0.0.1", port: 9469))
        #expect(configuration.settings == settings)
        var vm1 = vhostUser("vm1", "/run/switchyard/vm1.sock", queues: 4, vlan: .access(10), macLimit: 64,
                            limits: LimitSettings(maxGuestMemory: 64 << 30))
        vm1.security = PortSecuritySettings(sourceMACs: [0x5254_0000_0001], isolated: true,
                                            stormControl: StormControlSettings(broadcast: 1000, multicast: 1000,
                                                                               unknownUnicast: 1000))
        vm1.socketAccess = settings.socketAccess
        vm1.staticMACs = [StaticMACSetting(mac: 0x5254_0000_0001, vlan: 10)]
        var vm2 = vhostUser("vm2", "/tmp/vm2.sock", mode: .client,
                            vlan: .trunk(allowed: [1...1, 10...10, 20...20, 100...110], native: 1))
        vm2.socketAccess = SocketAccessSettings(owner: 0, group: 0, mode: 0o660, allowedUIDs: [0])
        #expect(configuration.ports == [
            vm1,
            vm2,
            PortConfiguration(name: "uplink0", kind: .uplink(interface: "eth1"),
                              vlan: .trunk(allowed: [1...1, 10...10, 20...20], native: 1)),
            PortConfiguration(name: "host0", kind: .tap(interface: "sy-host0"), vlan: .access(10), mtu: 1500),
            PortConfiguration(name: "mon0", kind: .tap(interface: "sy-mon0"), vlan: .access(1), mtu: 1500),
            PortConfiguration(name: "vx100", kind: .vxlan(VxlanPortSettings(vni: 100, local: "10.255.0.1",
                                                                             remotes: ["10.255.0.2"])),
                              vlan: .access(10), mtu: 1450),
        ])
        #expect(configuration.mirrors == [
            MirrorConfiguration(name: "span1", output: "mon0", sourcePorts: ["vm1"], destinationPorts: ["vm2"],
                                vlans: [20] + Array(100...110)),
        ])
    }

    @Test func missingFileIsReportedWithTheErrnoText() {
        let path = repositoryRoot + "/Config/does-not-exist.yaml"
        #expect {
            try SwitchConfiguration.load(path: path)
        } throws: { error in
            guard let errors = error as? ConfigurationErrors, let only = errors.errors.first else { return false }
            return errors.errors.count == 1 && only.kind == .unreadableFile
                && only.description == "\(path): cannot open: No such file or directory"
        }
    }

    @Test func directoryInsteadOfFileIsUnreadable() {
        do {
            _ = try SwitchConfiguration.load(path: repositoryRoot + "/Config")
            Issue.record("a directory loaded as a configuration")
        } catch {
            #expect(error.errors.map(\.kind) == [.unreadableFile])
            #expect(error.errors.first?.message == "cannot read: Is a directory")
        }
    }
}
