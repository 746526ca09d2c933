import GuestMemory

/// `struct vhost_vring_state`: a ring index and a number (size, base, enable flag).
public struct VringState: Equatable, Sendable {
    public var index: UInt32
    public var num: UInt32
    public init(index: UInt32, num: UInt32) {
        self.index = index
        self.num = num
    }
}

/// `struct vhost_vring_addr`. The wire order is desc, **used**, avail, log.
public struct VringAddress: Equatable, Sendable {
    /// `VHOST_VRING_F_LOG`: log writes to the used ring (migration); the only defined flag.
    public static let logFlag: UInt32 = 0x1

    public var index: UInt32
    public var flags: UInt32
    public var descriptorUVA: UInt64
    public var usedUVA: UInt64
    public var availableUVA: UInt64
    public var logGPA: UInt64

    public init(index: UInt32, flags: UInt32 = 0, descriptorUVA: UInt64, usedUVA: UInt64,
                availableUVA: UInt64, logGPA: UInt64 = 0) {
        self.index = index
        self.flags = flags
        self.descriptorUVA = descriptorUVA
        self.usedUVA = usedUVA
        self.availableUVA = availableUVA
        self.logGPA = logGPA
    }
}

/// `VhostUserLog`: the dirty-log area (SET_LOG_BASE).
public struct VhostUserLogArea: Equatable, Sendable {
    public var mmapSize: UInt64
    public var mmapOffset: UInt64
    public init(mmapSize: UInt64, mmapOffset: UInt64) {
        self.mmapSize = mmapSize
        self.mmapOffset = mmapOffset
    }
}

/// A decoded payload. Region records use GuestMemory's `MemoryRegionDescriptor`, which has the
/// wire fields exactly (GPA, size, UVA, mmap offset).
public enum VhostUserPayload: Equatable {
    case empty
    case u64(UInt64)
    case vringState(VringState)
    case vringAddress(VringAddress)
    case memoryTable([MemoryRegionDescriptor])
    case singleRegion(MemoryRegionDescriptor)
    case log(VhostUserLogArea)
    /// Requests we do not interpret (config space, inflight, crypto, unknown codes).
    case opaque([UInt8])
}
