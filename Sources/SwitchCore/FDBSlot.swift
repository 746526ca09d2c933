/// One open-addressing slot: 16 bytes so four share a cache line. `key == 0` marks an empty slot,
/// which is safe because every stored key has a VLAN id of at least 1 in its top bits.
@usableFromInline
struct FDBSlot {
    @usableFromInline var key: UInt64
    @usableFromInline var lastSeen: UInt32
    @usableFromInline var port: UInt16
    @usableFromInline var flags: UInt16

    @usableFromInline static let staticFlag: UInt16 = 1
    /// Learned on a port with a source allow-list (docs/port-security.md).
    @usableFromInline static let securedFlag: UInt16 = 2

    @inlinable var isEmpty: Bool { key == 0 }
    @inlinable var isStatic: Bool { flags & FDBSlot.staticFlag != 0 }
    @inlinable var vlan: UInt16 { UInt16(truncatingIfNeeded: key >> 48) }
    @inlinable var mac: MACAddress { MACAddress(rawValue: key) }

    @usableFromInline static let empty = FDBSlot(key: 0, lastSeen: 0, port: 0, flags: 0)

    @inlinable
    static func key(vlan: UInt16, mac: MACAddress) -> UInt64 {
        UInt64(vlan & 0x0FFF) << 48 | mac.rawValue
    }
}
