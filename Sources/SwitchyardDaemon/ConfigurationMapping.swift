import Datapath
import SwitchConfig
import SwitchCore
import LinuxIO
import VhostUser

/// The config file's model, translated once into the engine's and the core's types.
extension SwitchConfiguration {
    var engineConfiguration: EngineConfiguration {
        EngineConfiguration(
            fdbCapacity: settings.fdb.capacity,
            agingSeconds: UInt32(clamping: settings.fdb.agingSeconds),
            idle: settings.datapath.idle == .poll ? .poll : .sleep,
            cpus: settings.datapath.cpus,
            ringJournalDirectory: settings.socketDirectory)
    }
}

extension PortConfiguration {
    var specification: PortSpecification {
        let kind: PortSpecification.Kind
        switch self.kind {
        case .vhostUser(let path, let mode, let queues):
            kind = .vhostUser(socketPath: path, mode: mode == .client ? .client : .server, queuePairs: queues)
        case .uplink(let interface):
            kind = .uplink(interface: interface)
        case .tap(let interface):
            kind = .tap(interface: interface)
        case .vxlan(let v):
            kind = .vxlan(VxlanSettings(vni: UInt32(v.vni), local: v.local, remotes: v.remotes,
                                        udpPort: UInt16(v.udpPort), underlayMTU: v.underlayMTU,
                                        learnRemotes: v.learnRemotes))
        }
        return PortSpecification(name: name, kind: kind, vlan: vlan.portMode, macLimit: macLimit, mtu: mtu,
                                 limits: limits.portLimits, security: security.portSecurity,
                                 access: socketAccess.policy,
                                 staticMACs: staticMACs.map { StaticMAC(vlan: $0.vlan, mac: MACAddress(rawValue: $0.mac)) })
    }
}

extension PortSecuritySettings {
    var portSecurity: PortSecurity {
        func rate(_ r: Int?) -> UInt32? { r.map { UInt32(clamping: $0) } }
        return PortSecurity(
            allowedSources: sourceMACs.map { $0.map { MACAddress(rawValue: $0) } },
            isolated: isolated,
            stormControl: StormControl(broadcast: rate(stormControl.broadcast), multicast: rate(stormControl.multicast),
                                       unknownUnicast: rate(stormControl.unknownUnicast)))
    }
}

extension VLANMembership {
    var portMode: PortMode {
        switch self {
        case .access(let vlan): return .access(vlan: vlan)
        case .trunk(let allowed, let native): return .trunk(allowed: VLANSet(ranges: allowed), native: native)
        }
    }
}

extension PortMode {
    /// `access 10`, `trunk 10,20-30 native 1`: how `yardctl ports` shows a VLAN mode.
    var summary: String {
        switch self {
        case .access(let vlan):
            return "access \(vlan)"
        case .trunk(let allowed, let native):
            var ranges: [String] = []
            var start: UInt16?
            var previous: UInt16 = 0
            for v in allowed.members {
                if let s = start, v == previous &+ 1 { previous = v; _ = s; continue }
                if let s = start { ranges.append(s == previous ? "\(s)" : "\(s)-\(previous)") }
                start = v
                previous = v
            }
            if let s = start { ranges.append(s == previous ? "\(s)" : "\(s)-\(previous)") }
            let list = ranges.isEmpty ? "none" : ranges.joined(separator: ",")
            return "trunk \(list)" + (native.map { " native \($0)" } ?? "")
        }
    }
}

extension SocketAccessSettings {
    var policy: SocketAccessPolicy {
        SocketAccessPolicy(permissions: SocketPermissions(owner: owner, group: group,
                                                          mode: mode ?? SocketAccessSettings.defaultMode),
                           allowedUIDs: allowedUIDs)
    }
}

extension MirrorConfiguration {
    var specification: MirrorSpecification {
        MirrorSpecification(name: name, output: output, sourcePorts: sourcePorts, destinationPorts: destinationPorts,
                            vlans: vlans)
    }
}
