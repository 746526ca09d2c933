/// One mapped region as the translation loop sees it: plain values in a flat preallocated array,
/// so a lookup touches no reference counts. `host` is our address of the region's first byte.
@usableFromInline
struct RegionSlot {
    @usableFromInline var guestPhysicalAddress: UInt64
    @usableFromInline var userspaceAddress: UInt64
    @usableFromInline var size: UInt64
    @usableFromInline var mmapOffset: UInt64
    @usableFromInline var host: UnsafeMutableRawPointer

    @usableFromInline
    init(guestPhysicalAddress: UInt64, userspaceAddress: UInt64, size: UInt64, mmapOffset: UInt64,
         host: UnsafeMutableRawPointer) {
        self.guestPhysicalAddress = guestPhysicalAddress
        self.userspaceAddress = userspaceAddress
        self.size = size
        self.mmapOffset = mmapOffset
        self.host = host
    }
}

/// Mutable table state kept behind a pointer: a `var` on a class would cost a dynamic
/// exclusivity check on every translation.
@usableFromInline
struct TableState {
    @usableFromInline var count: Int
    @usableFromInline var lastHit: Int

    @usableFromInline
    init() {
        count = 0
        lastHit = 0
    }
}
