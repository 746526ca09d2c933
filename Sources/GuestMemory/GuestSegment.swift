/// A run of bytes in our own address space: one translated piece of a guest buffer.
/// Descriptor chains and straddling buffers become lists of these, kept in caller-owned or
/// per-queue scratch memory so the hot path never allocates.
@frozen
public struct GuestSegment: Equatable {
    public var base: UnsafeMutableRawPointer
    public var length: Int

    @inlinable
    public init(base: UnsafeMutableRawPointer, length: Int) {
        self.base = base
        self.length = length
    }
}
