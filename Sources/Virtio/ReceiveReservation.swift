/// Outcome of `SplitQueue.reserve(bytes:mergeable:)`.
public enum ReceiveReservation: Equatable, Sendable {
    /// `chains` buffers are reserved (1 without mergeable RX buffers): write, then commit.
    case reserved(chains: Int)
    /// Not enough available buffers (or, without MRG_RXBUF, the next buffer is too small).
    /// Nothing was consumed or written: count `rx-ring-full` and drop or retry later.
    case noRoom
    /// The frame needs more buffers than `limits.maxChains`. Nothing was consumed.
    case tooLarge
    /// A buffer chain was malformed: it (and any chains taken before it for this frame) went back
    /// to the guest with length 0, unpublished until `publishUsed()`. Count `malformed-descriptor`.
    case malformed(ChainError)
    case broken
}
