import Synchronization

/// Which way a captured frame went, seen from the captured port: `received` is what the port
/// sent into the switch (a guest's TX), `sent` what the switch delivered to it (docs/capture.md).
public enum CaptureDirection: UInt8, Sendable {
    case received = 1
    case sent = 2
}

/// The directions one capture takes.
public struct CaptureDirections: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let received = CaptureDirections(rawValue: CaptureDirection.received.rawValue)
    public static let sent = CaptureDirections(rawValue: CaptureDirection.sent.rawValue)
    public static let both: CaptureDirections = [.received, .sent]
}

/// One frame as the consumer sees it: valid until `CaptureRing.release()`.
public struct CapturedFrame {
    /// CLOCK_REALTIME nanoseconds (pcap files are read against real dates).
    public let timestampNanoseconds: UInt64
    /// The frame's length on the wire; `bytes` may be cut to the snaplen.
    public let originalLength: Int
    public let direction: CaptureDirection
    public let bytes: UnsafeRawBufferPointer
}

/// A single-producer (the engine thread), single-consumer (the daemon thread) ring of fixed
/// slots, all allocated when the capture starts: the producer never allocates, locks or waits.
/// When every slot is full the frame is counted in `lost` and the datapath moves on, so a slow
/// reader costs frames of its own capture, never forwarding speed (docs/capture.md).
public final class CaptureRing: @unchecked Sendable {
    /// Slot header: timestamp (8), original length (4), captured length (4), direction (1).
    static let slotHeader = 24
    public let snaplen: Int
    public let slotCount: Int
    let stride: Int
    let memory: UnsafeMutableRawPointer
    /// Slots written (producer) and slots released (consumer); free-running, masked on use.
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    private let lostFrames = Atomic<UInt64>(0)

    /// `snaplen` bytes kept per frame; about `memoryBudget` bytes of slots (a power of two
    /// count between 64 and 4096).
    public init(snaplen: Int, memoryBudget: Int = 4 << 20) {
        self.snaplen = max(64, min(snaplen, 65_535 + 4 + 18))
        stride = (CaptureRing.slotHeader + self.snaplen + 63) & ~63
        var count = 64
        while count < 4096 && count * 2 * stride <= memoryBudget { count *= 2 }
        slotCount = count
        memory = .allocate(byteCount: count * stride, alignment: 64)
    }

    deinit { memory.deallocate() }

    /// Frames the ring had no room for.
    public var lost: UInt64 { lostFrames.load(ordering: .relaxed) }

    // MARK: Producer (engine thread)

    /// The next free slot's frame bytes (`snaplen` of them), or nil (counted lost) when full.
    @inline(__always)
    func reserve() -> UnsafeMutableRawPointer? {
        let h = head.load(ordering: .relaxed)
        guard h &- tail.load(ordering: .acquiring) < slotCount else {
            lostFrames.add(1, ordering: .relaxed)
            return nil
        }
        return memory + ((h & (slotCount &- 1)) &* stride &+ CaptureRing.slotHeader)
    }

    /// Publishes the slot `reserve` gave out.
    @inline(__always)
    func commit(timestamp: UInt64, originalLength: Int, capturedLength: Int, direction: CaptureDirection) {
        let h = head.load(ordering: .relaxed)
        let slot = memory + (h & (slotCount &- 1)) &* stride
        slot.storeBytes(of: timestamp, as: UInt64.self)
        slot.storeBytes(of: UInt32(truncatingIfNeeded: originalLength), toByteOffset: 8, as: UInt32.self)
        slot.storeBytes(of: UInt32(truncatingIfNeeded: capturedLength), toByteOffset: 12, as: UInt32.self)
        slot.storeBytes(of: direction.rawValue, toByteOffset: 16, as: UInt8.self)
        head.store(h &+ 1, ordering: .releasing)
    }

    // MARK: Consumer (daemon thread)

    /// The oldest unreleased frame, if any.
    public func peek() -> CapturedFrame? {
        let t = tail.load(ordering: .relaxed)
        guard head.load(ordering: .acquiring) != t else { return nil }
        let slot = UnsafeRawPointer(memory + (t & (slotCount &- 1)) &* stride)
        let captured = Int(slot.load(fromByteOffset: 12, as: UInt32.self))
        return CapturedFrame(timestampNanoseconds: slot.load(as: UInt64.self),
                             originalLength: Int(slot.load(fromByteOffset: 8, as: UInt32.self)),
                             direction: CaptureDirection(rawValue: slot.load(fromByteOffset: 16, as: UInt8.self)) ?? .received,
                             bytes: UnsafeRawBufferPointer(start: slot + CaptureRing.slotHeader, count: min(captured, snaplen)))
    }

    /// Gives the frame `peek` returned back to the producer.
    public func release() {
        tail.store(tail.load(ordering: .relaxed) &+ 1, ordering: .releasing)
    }
}
