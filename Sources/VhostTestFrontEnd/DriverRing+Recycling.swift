import CSwitchyard

/// The cheapest possible guest driver for one ring in steady state, for the benchmarks: every
/// descriptor keeps its buffer and length forever, and each chain the device returns is made
/// available again at once (TX: the same frame is sent again; RX: the same empty buffer is offered
/// again). No kicks and, with `VRING_AVAIL_F_NO_INTERRUPT`, no interrupts: a polling guest (DPDK,
/// or NAPI under load). The free list is not kept while recycling.
extension DriverRing {
    /// `makeAllAvailable`: post every descriptor now (a TX ring whose chains were all reclaimed);
    /// otherwise every descriptor must already be available (an RX ring as `TestFrontEnd` leaves it).
    public func startRecycling(makeAllAvailable: Bool) {
        precondition(makeAllAvailable ? inFlight == 0 : inFlight == size,
                     "ring \(index) is not in the state recycling expects (\(inFlight) in flight)")
        if packed { return startRecyclingPacked(makeAllAvailable: makeAllAvailable) }
        freeDescriptors.removeAll()
        lastUsed = usedIndex
        // Suppress used-buffer interrupts (without EVENT_IDX the device honours this flag).
        setAvailFlags(1)
        guard makeAllAvailable else { return }
        let mask = UInt16(size - 1)
        for id in 0..<UInt16(size) {
            availableRing.pointer.storeBytes(of: id.littleEndian, toByteOffset: 4 + 2 * Int((availIdx &+ id) & mask),
                                             as: UInt16.self)
        }
        availIdx &+= UInt16(size)
        csy_store_release_u16(availableRing.pointer + 2, availIdx.littleEndian)
    }

    /// Re-posts every chain the device has returned since the last call; returns how many.
    @discardableResult
    public func recycle() -> Int {
        if packed { return recyclePacked() }
        let usedIndex = UInt16(littleEndian: csy_load_acquire_u16(usedRing.pointer + 2))
        let n = Int(usedIndex &- lastUsed)
        guard n > 0 else { return 0 }
        let mask = UInt16(size - 1)
        let avail = availableRing.pointer, used = usedRing.pointer
        var slot = availIdx
        var last = lastUsed
        var bytes = 0
        while last != usedIndex {
            let element = used + 4 + 8 * Int(last & mask)
            let id = UInt16(truncatingIfNeeded: UInt32(littleEndian: element.load(as: UInt32.self)))
            bytes &+= Int(UInt32(littleEndian: element.load(fromByteOffset: 4, as: UInt32.self)))
            avail.storeBytes(of: id.littleEndian, toByteOffset: 4 + 2 * Int(slot & mask), as: UInt16.self)
            slot &+= 1
            last &+= 1
        }
        lastUsed = last
        availIdx = slot
        csy_store_release_u16(avail + 2, slot.littleEndian)
        completed &+= n
        completedBytes &+= bytes
        return n
    }
}
