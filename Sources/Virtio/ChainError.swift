/// Why a descriptor chain was refused. The chain is still returned to the guest (used length 0)
/// and the caller counts it (`malformed-descriptor`); the queue keeps running.
public enum ChainError: UInt8, Error, Sendable {
    /// A `next` index (or the first index of an indirect table) is outside the table.
    case nextOutOfRange
    /// More descriptors than the table holds: the chain loops.
    case descriptorLoop
    case indirectNotNegotiated
    case nestedIndirect
    /// The driver must not set INDIRECT and NEXT together.
    case indirectWithNext
    /// An indirect table whose length is 0, not a multiple of 16, or more entries than the queue.
    case invalidIndirectLength
    /// A buffer or indirect table that is not entirely inside guest memory.
    case unmappedAddress
    case writableDescriptorInTransmitChain
    case readableDescriptorInReceiveChain
    /// More pieces than the per-chain segment limit.
    case tooManySegments
    /// More bytes than the queue's limit (TX) or than a used length can say (RX).
    case chainTooLong
    /// More descriptors than `Limits.maxDescriptorsPerChain`, counting every one: zero-length
    /// descriptors, the INDIRECT descriptor and each indirect table entry (docs/limits.md).
    case tooManyDescriptors
}
