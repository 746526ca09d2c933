import Yams

extension ConfigurationDecoder {
    /// Names, socket paths and uplink and tap interfaces must each be unique across all ports; the second
    /// and later occurrences are reported, pointing back at the first.
    mutating func checkUniqueness(of ports: [PortDraft], controlSocket: String) {
        var names: [String: Node] = [:]
        var sockets: [String: Node] = [:]
        var interfaces: [String: Node] = [:]
        for (index, port) in ports.enumerated() {
            let path = ConfigPath.root.appending("ports").appending(index: index)
            if let (name, node) = port.name {
                if let first = names[name] {
                    report(.duplicatePortName, at: node, path.appending("name"),
                           "duplicate port name '\(name)' (first used \(Self.where(first)))")
                } else {
                    names[name] = node
                }
            }
            if let (socket, node) = port.socket {
                if socket == controlSocket {
                    report(.duplicateSocketPath, at: node, path.appending("socket"),
                           "socket path '\(socket)' is also the control socket (switch.control-socket)")
                } else if let first = sockets[socket] {
                    report(.duplicateSocketPath, at: node, path.appending("socket"),
                           "duplicate socket path '\(socket)' (first used \(Self.where(first)))")
                } else {
                    sockets[socket] = node
                }
            }
            if let (interface, node) = port.interface {
                if let first = interfaces[interface] {
                    report(.duplicateInterface, at: node, path.appending("interface"),
                           "interface '\(interface)' is already used by another uplink or tap port (\(Self.where(first)))")
                } else {
                    interfaces[interface] = node
                }
            }
        }
    }

    private static func `where`(_ node: Node) -> String {
        node.mark.map { "at line \($0.line)" } ?? "earlier"
    }
}
