extension Checksum {
    /// Finishes a checksum a driver left partial (virtio NEEDS_CSUM / Linux CHECKSUM_PARTIAL):
    /// the 16-bit field at `checksumStart + checksumOffset` already holds the pseudo-header sum,
    /// so the checksum is the complement of the sum over `[checksumStart, frame end)`.
    ///
    /// A result of 0 is stored as 0xFFFF, as Linux's skb_checksum_help does (CSUM_MANGLED_0):
    /// for UDP 0 means "no checksum" (RFC 768), and for TCP both are the same ones' complement
    /// zero, so the protocol need not be known.
    ///
    /// Returns false, leaving the frame untouched, if the field does not lie inside the frame.
    @discardableResult
    public static func completePartialChecksum(frame: UnsafeMutableRawBufferPointer,
                                               checksumStart: Int, checksumOffset: Int) -> Bool {
        guard let base = frame.baseAddress, checksumStart >= 0, checksumOffset >= 0,
              checksumStart <= frame.count, checksumOffset <= frame.count - checksumStart,
              checksumStart + checksumOffset + 2 <= frame.count
        else { return false }
        let result = internetChecksum(base + checksumStart, count: frame.count - checksumStart)
        base.storeBigEndian(result == 0 ? 0xFFFF : result, at: checksumStart + checksumOffset)
        return true
    }
}
