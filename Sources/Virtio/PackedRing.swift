/// Packed virtqueue layout (virtio 1.1+ §2.8). One ring of 16-byte descriptors {addr u64, len u32,
/// id u16, flags u16} that driver and device both write, plus two 4-byte event suppression
/// structures {off_wrap u16, flags u16}: the driver's (it says when it wants interrupts) and the
/// device's (we say when we want kicks). All little-endian. `PackedRing.Layout` checks geometry.
public enum PackedRing {
    public static let maxQueueSize = 32768

    public static let descriptorSize = 16
    public static let flagNext: UInt16 = 1
    public static let flagWrite: UInt16 = 2
    public static let flagIndirect: UInt16 = 4
    /// §2.8.1: a descriptor is available when AVAIL equals the driver's wrap counter and USED does
    /// not; used when both equal the device's used wrap counter.
    public static let flagAvail: UInt16 = 1 << 7
    public static let flagUsed: UInt16 = 1 << 15

    /// Event suppression flags (§2.8.10): notify always, never, or at one descriptor (EVENT_IDX).
    public static let eventEnable: UInt16 = 0
    public static let eventDisable: UInt16 = 1
    public static let eventDescriptor: UInt16 = 2
    public static let eventAreaBytes = 4
    /// off_wrap: offset in bits 0-14, wrap counter in bit 15. GET/SET_VRING_BASE carry an index
    /// the same way (DPDK and QEMU), with the used index in the upper 16 bits.
    public static let wrapBit: UInt16 = 1 << 15

    public static let descriptorRingAlignment = 16
    public static let eventAreaAlignment = 4

    /// Any size 1...32768 (packed rings need no power of two).
    @inlinable
    public static func isValidSize(_ size: Int) -> Bool { size > 0 && size <= maxQueueSize }

    /// An index with its wrap counter as GET_VRING_BASE and off_wrap carry it.
    @inlinable
    public static func encode(index: UInt16, wrap: Bool) -> UInt16 { index | (wrap ? wrapBit : 0) }
}
