/// One region's guest-physical range and our mapping of it, taken once for a loop that translates
/// many buffers (a TX burst): the region cannot change while the data plane runs (see
/// `GuestMemoryTable`), so the per-buffer check is two compares, with no table access.
@frozen
public struct RegionWindow {
    @usableFromInline let guestPhysicalAddress: UInt64
    /// 0 for the empty window, which contains nothing.
    @usableFromInline let size: UInt64
    @usableFromInline let host: UnsafeMutableRawPointer?

    @inlinable
    init(guestPhysicalAddress: UInt64, size: UInt64, host: UnsafeMutableRawPointer?) {
        self.guestPhysicalAddress = guestPhysicalAddress
        self.size = size
        self.host = host
    }

    @usableFromInline static let empty = RegionWindow(guestPhysicalAddress: 0, size: 0, host: nil)

    /// Our pointer to `[gpa, gpa + length)` if every byte lies in this window, else nil.
    @inlinable @inline(__always)
    public func pointer(guestPhysical gpa: UInt64, length: UInt64) -> UnsafeMutableRawPointer? {
        // Wrapping: an address below the base gives a huge offset. offset < size, so size - offset
        // cannot wrap, and validated sizes fit in Int.
        let offset = gpa &- guestPhysicalAddress
        guard offset < size, length <= size &- offset, let host else { return nil }
        return host + Int(truncatingIfNeeded: offset)
    }
}

extension GuestMemoryTable {
    /// The window of the region `hint` names, or the empty window if it names none.
    @inlinable @inline(__always)
    public func window(hint: Int) -> RegionWindow {
        guard UInt(bitPattern: hint) < UInt(bitPattern: state.pointee.count) else { return .empty }
        let slot = slots[hint]
        return RegionWindow(guestPhysicalAddress: slot.guestPhysicalAddress, size: slot.size, host: slot.host)
    }
}
