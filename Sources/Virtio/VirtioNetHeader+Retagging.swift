extension VirtioNetHeader {
    /// The header for the same frame after `delta` bytes were inserted (+4: a VLAN tag added) or
    /// removed (-4) ahead of its L3 header: checksum start and GSO header length count from the
    /// first byte of the frame, so they move with it. Fields that are not in use stay as they are.
    @inlinable
    public func movingOffsets(by delta: Int) -> VirtioNetHeader {
        var h = self
        if flags & VirtioNetHeader.flagNeedsChecksum != 0 {
            h.checksumStart = UInt16(truncatingIfNeeded: Int(checksumStart) &+ delta)
        }
        if gsoType != VirtioNetHeader.gsoNone {
            h.headerLength = UInt16(truncatingIfNeeded: Int(headerLength) &+ delta)
        }
        return h
    }
}
