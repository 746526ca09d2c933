import SwitchCore

/// A static FDB entry a port's configuration pins to it (`static-macs:`, docs/reload.md): frames
/// to `mac` in `vlan` go to the port; the entry never ages, moves or counts against `mac-limit`.
public struct StaticMAC: Hashable, Sendable {
    public var vlan: UInt16
    public var mac: MACAddress

    public init(vlan: UInt16, mac: MACAddress) {
        self.vlan = vlan
        self.mac = mac
    }
}
