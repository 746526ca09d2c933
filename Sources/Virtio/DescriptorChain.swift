/// One chain taken from the available ring, as the data path sees it. Its segments live in the
/// queue's scratch area (`SplitQueue.segments(of:)`) until the next pop or reservation.
///
/// Read-only outside the module; the stored fields are `@usableFromInline` so the queue's
/// inlinable fast paths can write them (a `public internal(set)` setter is not usable there).
@frozen
public struct DescriptorChain {
    @usableFromInline var _head: UInt16
    @usableFromInline var _error: ChainError?
    @usableFromInline var _length: Int
    @usableFromInline var _usedLength: UInt32
    @usableFromInline var _firstSegment: Int
    @usableFromInline var _segmentCount: Int

    /// Head descriptor index: what goes back in the used element.
    @inlinable public var head: UInt16 { _head }
    /// Nil for a usable chain. A malformed chain must still be returned with `pushUsed(head:length: 0)`.
    @inlinable public var error: ChainError? { _error }
    /// TX: readable bytes in the chain (header + frame). RX: writable capacity.
    @inlinable public var length: Int { _length }
    /// RX: bytes written so far (the used element's len). TX: 0.
    @inlinable public var usedLength: UInt32 { _usedLength }
    @inlinable public var firstSegment: Int { _firstSegment }
    @inlinable public var segmentCount: Int { _segmentCount }

    /// A usable chain of `segmentCount` translated pieces holding `length` bytes.
    @inlinable
    init(head: UInt16, length: Int, firstSegment: Int, segmentCount: Int) {
        _head = head
        _error = nil
        _length = length
        _usedLength = 0
        _firstSegment = firstSegment
        _segmentCount = segmentCount
    }

    init(head: UInt16, firstSegment: Int) {
        self.init(head: head, length: 0, firstSegment: firstSegment, segmentCount: 0)
    }
}
