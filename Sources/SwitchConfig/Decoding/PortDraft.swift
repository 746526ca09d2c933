import Yams

/// What could be read of one port, kept even when the port has errors so the uniqueness checks
/// still see its name, socket and interface (and report those problems in the same run).
struct PortDraft {
    var name: (value: String, node: Node)?
    var socket: (value: String, node: Node)?
    var interface: (value: String, node: Node)?
    /// Set only when the port itself is valid.
    var configuration: PortConfiguration?
}
