/// A cursor over libFuzzer's bytes. Reads past the end yield zeros, so every input decodes to
/// something and the fuzzer never wastes runs on inputs a harness rejects as too short.
public struct FuzzInput {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    public var remaining: Int { max(0, bytes.count - offset) }
    public var isEmpty: Bool { remaining == 0 }

    public mutating func u8() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        var value: T = 0
        for i in 0..<(T.bitWidth / 8) { value |= T(truncatingIfNeeded: u8()) << (8 * i) }
        return value
    }

    public mutating func u16() -> UInt16 { integer() }
    public mutating func u32() -> UInt32 { integer() }
    public mutating func u64() -> UInt64 { integer() }

    /// Up to `count` bytes (fewer at the end of the input).
    public mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let n = min(max(count, 0), remaining)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    /// Everything left.
    public mutating func rest() -> UnsafeRawBufferPointer { take(remaining) }
}
