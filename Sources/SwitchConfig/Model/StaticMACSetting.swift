/// One `static-macs:` entry of a port (docs/reload.md#static-macs): the switch forwards frames to
/// `mac` in `vlan` to this port without learning it, never ages it and keeps it across reloads.
public struct StaticMACSetting: Hashable, Comparable, Sendable {
    /// 48 bits in wire order (`52:54:00:00:00:01` is `0x5254_0000_0001`), unicast and not zero.
    public var mac: UInt64
    /// A VLAN the port carries: given, or the port's access VLAN / trunk native VLAN.
    public var vlan: UInt16

    public init(mac: UInt64, vlan: UInt16) {
        self.mac = mac
        self.vlan = vlan
    }

    /// VLAN, then MAC: the order `PortConfiguration.staticMACs` is kept in, so the same entries
    /// written in another order are the same configuration.
    public static func < (a: StaticMACSetting, b: StaticMACSetting) -> Bool {
        (a.vlan, a.mac) < (b.vlan, b.mac)
    }
}
