/// One FDB entry as the control plane sees it (`yardctl fdb show`).
public struct FDBEntry: Sendable, Equatable, Hashable {
    public enum Age: Sendable, Equatable, Hashable {
        /// Configured; never ages, never moves.
        case `static`
        /// Learned; seconds since the address was last seen as a source.
        case dynamic(seconds: UInt32)
    }

    public var vlan: UInt16
    public var mac: MACAddress
    public var port: UInt16
    public var age: Age

    public init(vlan: UInt16, mac: MACAddress, port: UInt16, age: Age) {
        self.vlan = vlan
        self.mac = mac
        self.port = port
        self.age = age
    }

    public var isStatic: Bool { age == .static }
}
