/// The reverse of translation, for cold paths: which guest-physical address one of our pointers
/// into a region names. A packed ring's descriptor ring is given by front-end virtual address and
/// must be dirty-logged at its guest-physical address, which SET_VRING_ADDR does not carry for it
/// (docs/dirty-log.md, "Packed rings").
extension GuestMemoryTable {
    /// The GPA of `[host, host + length)`, or nil unless that range lies inside one region.
    public func guestPhysical(host: UnsafeRawPointer, length: Int) -> UInt64? {
        guard length >= 0 else { return nil }
        let p = UInt(bitPattern: host)
        for i in 0..<state.pointee.count {
            let slot = slots[i]
            let base = UInt(bitPattern: slot.host)
            guard p >= base else { continue }
            let offset = UInt64(p - base)
            if offset < slot.size, UInt64(length) <= slot.size - offset {
                return slot.guestPhysicalAddress + offset
            }
        }
        return nil
    }
}
