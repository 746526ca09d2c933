/// Why a port change was refused. The configuration is untrusted input: refuse, never trap.
public enum PortConfigurationError: Error, Equatable, Sendable {
    /// The index is not below the engine's `maxPorts`.
    case indexOutOfRange(index: UInt16, maxPorts: Int)
    case portExists(UInt16)
    case noSuchPort(UInt16)
    /// An access or native VLAN outside 1...4094.
    case invalidVLAN(UInt16)
    case invalidMACLimit(Int)
    /// An allow-list entry that is a group address or 00:00:00:00:00:00.
    case invalidSourceMAC(MACAddress)
}
