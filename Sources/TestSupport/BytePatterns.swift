import GuestMemory

/// `count` bytes of a pattern that differs per `seed` (tests compare copies against it).
public func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
}

/// The bytes of translated guest segments, in order.
public func gatherAll(_ segments: UnsafeBufferPointer<GuestSegment>) -> [UInt8] {
    var out: [UInt8] = []
    for s in segments {
        for i in 0..<s.length { out.append(s.base.load(fromByteOffset: i, as: UInt8.self)) }
    }
    return out
}
