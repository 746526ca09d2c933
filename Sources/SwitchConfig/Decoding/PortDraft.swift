import Yams

/// What could be read of one port, kept even when the port has errors so the uniqueness checks
/// still see its name, socket and interface (and report those problems in the same run).
struct PortDraft {
    var name: (value: String, node: Node)?
    var socket: (value: String, node: Node)?
    var interface: (value: String, node: Node)?
    /// The port's own `limits:`, applied over the switch-wide ones once those are known.
    var limits = LimitOverrides()
    /// Its `static-macs:` entries with where they are written, for the checks across ports.
    var staticMACs: [(setting: StaticMACSetting, node: Node, path: ConfigPath)] = []
    /// Set only when the port itself is valid.
    var configuration: PortConfiguration?
}
