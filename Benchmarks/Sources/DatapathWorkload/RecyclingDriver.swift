import CBenchSupport
import VhostTestFrontEnd

/// The cheapest possible guest driver for one ring in steady state: every descriptor keeps its
/// buffer and length forever, and each chain the device returns is made available again at once
/// (TX: the same frame is sent again; RX: the same empty buffer is offered again). No kicks and,
/// with `VRING_AVAIL_F_NO_INTERRUPT`, no interrupts: a polling guest (DPDK, or NAPI under load).
///
/// Takes over the ring from `DriverRing`, whose bookkeeping is stale afterwards.
public final class RecyclingDriver {
    let size: UInt16
    let mask: UInt16
    let avail: UnsafeMutableRawPointer
    let used: UnsafeMutableRawPointer
    var availIndex: UInt16
    var lastUsed: UInt16
    /// Chains the device returned, and the bytes it reported for them (RX: header + frame).
    public private(set) var completed = 0
    public private(set) var completedBytes = 0

    /// `makeAllAvailable`: post every descriptor now (a TX ring whose chains were all reclaimed);
    /// otherwise every descriptor must already be available (an RX ring as `TestFrontEnd` leaves it).
    public init(ring: DriverRing, makeAllAvailable: Bool) {
        size = UInt16(ring.size)
        mask = size &- 1
        avail = ring.availableRing.pointer
        used = ring.usedRing.pointer
        availIndex = ring.availableIndex
        lastUsed = ring.usedIndex
        precondition(makeAllAvailable ? ring.inFlight == 0 : ring.inFlight == ring.size,
                     "ring \(ring.index) is not in the state this driver expects (\(ring.inFlight) in flight)")
        // Suppress used-buffer interrupts (without EVENT_IDX the device honours this flag).
        avail.storeBytes(of: UInt16(1).littleEndian, as: UInt16.self)
        if makeAllAvailable {
            for id in 0..<size {
                avail.storeBytes(of: id.littleEndian, toByteOffset: 4 + 2 * Int((availIndex &+ id) & mask), as: UInt16.self)
            }
            availIndex &+= size
            cbs_store_release_u16(avail + 2, availIndex.littleEndian)
        }
    }

    /// Re-posts every chain the device has returned since the last call; returns how many.
    @inline(__always)
    @discardableResult
    public func recycle() -> Int {
        let usedIndex = UInt16(littleEndian: cbs_load_acquire_u16(used + 2))
        let n = Int(usedIndex &- lastUsed)
        guard n > 0 else { return 0 }
        var slot = availIndex
        var bytes = 0
        while lastUsed != usedIndex {
            let element = used + 4 + 8 * Int(lastUsed & mask)
            let id = UInt16(truncatingIfNeeded: UInt32(littleEndian: element.load(as: UInt32.self)))
            bytes &+= Int(UInt32(littleEndian: element.load(fromByteOffset: 4, as: UInt32.self)))
            avail.storeBytes(of: id.littleEndian, toByteOffset: 4 + 2 * Int(slot & mask), as: UInt16.self)
            slot &+= 1
            lastUsed &+= 1
        }
        availIndex = slot
        cbs_store_release_u16(avail + 2, slot.littleEndian)
        completed &+= n
        completedBytes &+= bytes
        return n
    }
}
