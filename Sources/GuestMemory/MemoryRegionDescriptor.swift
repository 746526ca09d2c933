/// One guest RAM region as a vhost-user front-end describes it (SET_MEM_TABLE / ADD_MEM_REG /
/// REM_MEM_REG): the same bytes seen as guest-physical addresses, as the front-end's own virtual
/// addresses (used for ring addresses in SET_VRING_ADDR), and as an offset into the shared fd.
public struct MemoryRegionDescriptor: Equatable, Hashable, Sendable {
    public var guestPhysicalAddress: UInt64
    public var size: UInt64
    public var userspaceAddress: UInt64
    public var mmapOffset: UInt64

    public init(guestPhysicalAddress: UInt64, size: UInt64, userspaceAddress: UInt64, mmapOffset: UInt64) {
        self.guestPhysicalAddress = guestPhysicalAddress
        self.size = size
        self.userspaceAddress = userspaceAddress
        self.mmapOffset = mmapOffset
    }
}
