import CSwitchyard
import Foundation
import TestSupport

/// A network namespace playing the outside host, joined to ours by a veth pair: `hostSide` stays
/// here (the uplink's interface), `farSide` lives in the namespace, up, with 10.77.0.2/24. IPv6 is
/// off in the namespace so it sends nothing by itself. Everything is deleted when the object goes
/// away. (No VLAN sub-interfaces: kernels without CONFIG_VLAN_8021Q, like this CI's, lack them;
/// the peer sends and reads tags itself.)
final class NamespacedVeth {
    let namespace: String
    let hostSide: String
    let farSide: String
    private(set) var created = false

    init(tag: String, createHostSide: Bool = true) throws {
        guard getuid() == 0 else {
            throw SetupError("network namespaces and veth interfaces need root (running as uid \(getuid()))")
        }
        let base = "uy\(getpid() % 100_000)\(tag)"
        namespace = base + "ns"
        hostSide = base + "a"
        farSide = base + "b"
        _ = try? run("ip", ["netns", "del", namespace])
        try must("ip", ["netns", "add", namespace])
        try inNamespace(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        try inNamespace(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
        try inNamespace(["ip", "link", "set", "lo", "up"])
        if createHostSide { try createPair() }
    }

    /// Creates the pair (for tests where the interface appears later).
    func createPair() throws {
        try must("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", farSide, "netns", namespace])
        created = true
        _ = try? run("sysctl", ["-qw", "net.ipv6.conf.\(hostSide).disable_ipv6=1"])
        try inNamespace(["ip", "addr", "add", "10.77.0.2/24", "dev", farSide])
        try inNamespace(["ip", "link", "set", farSide, "up"])
    }

    func deletePair() throws {
        try must("ip", ["link", "del", hostSide])
        created = false
    }

    /// Runs a command inside the namespace; a non-zero exit is an error with its output.
    func inNamespace(_ command: [String]) throws {
        try must("ip", ["netns", "exec", namespace] + command)
    }

    /// Calls `body` with the calling thread inside the namespace (sockets created there stay
    /// there), then moves the thread back. No suspension point may sit inside `body`.
    func enter<T>(_ body: () throws -> T) throws -> T {
        let target = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw SetupError("open /run/netns/\(namespace): errno \(errno)") }
        defer { close(target) }
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw SetupError("open /proc/thread-self/ns/net: errno \(errno)") }
        defer { close(home) }
        guard csy_setns_net(target) == 0 else { throw SetupError("setns into \(namespace): errno \(errno)") }
        defer { precondition(csy_setns_net(home) == 0, "could not return to the test's network namespace") }
        return try body()
    }

    /// A counter of the far side from `ip -s link` (rx_packets etc. as `ip` names them).
    func farSideReceivedPackets() throws -> Int {
        let out = try run("ip", ["-n", namespace, "-s", "-j", "link", "show", farSide]).output
        let data = Data(out.utf8)
        guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]],
              let stats = list.first?["stats64"] as? [String: Any],
              let rx = stats["rx"] as? [String: Any], let packets = rx["packets"] as? Int else {
            throw SetupError("cannot parse ip -s -j link: \(out)")
        }
        return packets
    }

    deinit {
        if created { _ = try? run("ip", ["link", "del", hostSide]) }
        _ = try? run("ip", ["netns", "del", namespace])
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func must(_ tool: String, _ arguments: [String]) throws {
    let result = try run(tool, arguments)
    guard result.status == 0 else {
        throw SetupError("\(tool) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
    }
}
