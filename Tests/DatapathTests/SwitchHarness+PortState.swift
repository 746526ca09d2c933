import Datapath
import Foundation

/// A port's state as `yardctl ports` shows it ("running", "broken (dirty-log-fault)"), read on the
/// engine thread: the one reader every forwarding test polls with.
extension SwitchHarness {
    func portState(_ port: String) throws -> String? {
        try engine.perform { $0.portRuntime().first { $0.spec.name == port }?.state.description }.get()
    }

    /// Polls every 5 ms until the port reads `wanted` or `seconds` pass; returns the last reading.
    func waitForPortState(_ port: String, _ wanted: String, seconds: Double = 2) throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        var last = try portState(port)
        while last != wanted, Date() < deadline { usleep(5_000); last = try portState(port) }
        return last
    }
}
