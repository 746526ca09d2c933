import CSwitchyard
import GuestMemory

/// One region of a port's guest memory as `yardctl ports --json` shows it, with how many of the
/// guest's RX buffers lie in it: the way to see, without touching the forwarding path, that a
/// guest uses memory hot-added to it (docs/memory-hotplug-and-reconnect.md#seeing-the-new-memory-used).
public struct GuestRegionUse: Equatable, Sendable {
    public var guestPhysicalAddress: UInt64
    public var size: UInt64
    /// Heads of the last ring-size entries of the guest's receive rings' available rings (the
    /// buffers it posted most recently) whose descriptor address lies in this region.
    public var receiveBuffers: Int

    public init(guestPhysicalAddress: UInt64, size: UInt64, receiveBuffers: Int) {
        self.guestPhysicalAddress = guestPhysicalAddress
        self.size = size
        self.receiveBuffers = receiveBuffers
    }
}

extension VhostUserDevice {
    /// The regions in insertion order, with their RX buffer counts. Off the hot path (snapshots,
    /// once a second): it reads the guest's available rings and descriptor tables of the started
    /// receive rings, at most 1024 entries each, every index masked to the ring. The guest may
    /// rewrite them meanwhile; the result is a sample, never a pointer the datapath uses.
    public func memoryRegionUse() -> [GuestRegionUse] {
        let regions = memory.regions
        var use = regions.map { GuestRegionUse(guestPhysicalAddress: $0.guestPhysicalAddress, size: $0.size, receiveBuffers: 0) }
        guard !regions.isEmpty else { return use }
        for i in stride(from: 0, to: rings.count, by: 2) where rings[i].started {
            guard let p = translate(i) else { continue }
            let size = rings[i].size
            let mask = size - 1
            let availableIndex = csy_load_acquire_u16(p.available + 2)
            for k in 0..<min(size, 1024) {
                let slot = Int(availableIndex &- UInt16(truncatingIfNeeded: k + 1)) & mask
                let head = Int(UInt16(littleEndian: p.available.load(fromByteOffset: 4 + 2 * slot, as: UInt16.self))) & mask
                let address = UInt64(littleEndian: p.descriptors.load(fromByteOffset: 16 * head, as: UInt64.self))
                if let r = regions.firstIndex(where: {
                    address >= $0.guestPhysicalAddress && address - $0.guestPhysicalAddress < $0.size
                }) {
                    use[r].receiveBuffers += 1
                }
            }
        }
        return use
    }
}
