/// The internet checksum (RFC 1071): a 16-bit ones' complement sum.
///
/// Sums are returned as the folded 16-bit value in network order, i.e. the number one would read
/// big-endian from the wire, so they can be stored with a big-endian store and added to each other
/// (`combine`). RFC 1071 §2(B): the sum does not depend on byte order, so the loop adds native
/// 64-bit words and swaps once at the end instead of once per 16-bit word.
public enum Checksum {
    /// Ones' complement sum of `count` bytes at `bytes`, continuing from the folded sum `initial`.
    /// An odd trailing byte is padded with a zero byte (RFC 1071), so a range that is continued
    /// later must have an even length.
    public static func sum(_ bytes: UnsafeRawPointer, count: Int, initial: UInt16 = 0) -> UInt16 {
        // Lanes of a native load are byte-swapped 16-bit words on little-endian hosts; bring the
        // network-order `initial` into the same domain.
        var a = UInt64(initial.bigEndian)
        var b: UInt64 = 0
        var i = 0
        // 32 bytes per iteration into two accumulators: two short carry chains instead of one long.
        while i &+ 32 <= count {
            a = addWithEndAroundCarry(a, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            b = addWithEndAroundCarry(b, bytes.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self))
            a = addWithEndAroundCarry(a, bytes.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self))
            b = addWithEndAroundCarry(b, bytes.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self))
            i &+= 32
        }
        while i &+ 8 <= count {
            a = addWithEndAroundCarry(a, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i &+= 8
        }
        if i < count {
            // Assemble the last 1...7 bytes as the low bytes of a little-endian word, zero padded;
            // `i` is a multiple of 8 here, so lane positions match a full load.
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                tail |= UInt64(bytes.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift &+= 8
                i &+= 1
            }
            b = addWithEndAroundCarry(b, UInt64(littleEndian: tail))
        }
        return UInt16(bigEndian: fold(addWithEndAroundCarry(a, b)))
    }

    /// Internet checksum of a byte range: the complement of its sum (what goes into a header).
    public static func internetChecksum(_ bytes: UnsafeRawPointer, count: Int, initial: UInt16 = 0) -> UInt16 {
        ~sum(bytes, count: count, initial: initial)
    }

    /// Ones' complement addition of two folded sums.
    @inlinable
    public static func combine(_ x: UInt16, _ y: UInt16) -> UInt16 {
        let s = UInt32(x) &+ UInt32(y)
        return UInt16(truncatingIfNeeded: (s & 0xFFFF) &+ (s >> 16))
    }

    /// Ones' complement subtraction: the sum without `y` (RFC 1624 incremental update).
    @inlinable
    public static func subtract(_ x: UInt16, _ y: UInt16) -> UInt16 {
        combine(x, ~y)
    }

    @inlinable @inline(__always)
    static func addWithEndAroundCarry(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let (s, overflow) = x.addingReportingOverflow(y)
        return s &+ (overflow ? 1 : 0)
    }

    /// Folds a 64-bit ones' complement accumulator to 16 bits (each step can carry once more).
    @inlinable @inline(__always)
    static func fold(_ x: UInt64) -> UInt16 {
        var s = (x & 0xFFFF_FFFF) &+ (x >> 32)
        s = (s & 0xFFFF_FFFF) &+ (s >> 32)
        s = (s & 0xFFFF) &+ (s >> 16)
        s = (s & 0xFFFF) &+ (s >> 16)
        s = (s & 0xFFFF) &+ (s >> 16)
        return UInt16(truncatingIfNeeded: s)
    }
}
