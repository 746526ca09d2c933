/// A run of bytes in our own address space: one translated piece of a guest buffer.
/// Descriptor chains and straddling buffers become lists of these, kept in caller-owned or
/// per-queue scratch memory so the hot path never allocates.
@frozen
public struct GuestSegment: Equatable {
    public var base: UnsafeMutableRawPointer
    public var length: Int
    /// The guest-physical address `base` translates: what a dirty-page log marks when the switch
    /// writes into this piece (docs/rx-copy.md). Each piece of a buffer split across regions has
    /// its own. 0 for memory that is not guest RAM (our own buffers, AF_PACKET rings).
    public var guestPhysical: UInt64

    @inlinable
    public init(base: UnsafeMutableRawPointer, length: Int, guestPhysical: UInt64) {
        self.base = base
        self.length = length
        self.guestPhysical = guestPhysical
    }

    /// A piece of memory that is not guest RAM (`guestPhysical` 0).
    @inlinable
    public init(base: UnsafeMutableRawPointer, length: Int) {
        self.init(base: base, length: length, guestPhysical: 0)
    }
}
