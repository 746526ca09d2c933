import Foundation
import TestSupport

/// A veth pair created with `ip` for one test and deleted when the test ends. Names are unique
/// per process and test so parallel tests and other users of this host do not collide.
final class VethPair {
    let name: String
    let peer: String

    init(tag: String) throws {
        guard getuid() == 0 else {
            throw VethError("creating veth interfaces needs root (running as uid \(getuid()))")
        }
        let base = "sy\(getpid() % 100_000)\(tag)"
        name = base + "a"
        peer = base + "b"
        let result = try run("ip", ["link", "add", name, "type", "veth", "peer", "name", peer])
        guard result.status == 0 else { throw VethError("ip link add \(name) failed: \(result.output)") }
    }

    /// `ip -d link show` of one end.
    func show(_ which: String? = nil) throws -> String {
        try run("ip", ["-d", "link", "show", which ?? name]).output
    }

    /// The flag list between < and > in `ip link show`, e.g. ["BROADCAST", "UP", "LOWER_UP"].
    func ipFlags(_ which: String? = nil) throws -> Set<String> {
        let text = try show(which)
        guard let open = text.firstIndex(of: "<"), let close = text.firstIndex(of: ">") else { return [] }
        return Set(text[text.index(after: open)..<close].split(separator: ",").map(String.init))
    }

    deinit {
        // Deleting one end removes both.
        _ = try? run("ip", ["link", "del", name])
    }
}

struct VethError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
