#if canImport(Glibc)
import Glibc
#endif
import Datapath
import Logging
import SwitchCore
import VhostTestFrontEnd

/// Two vhost-user ports on one `Engine`, driven synchronously on the caller's thread (no engine
/// thread), with in-process front-ends playing the guests: A's TX ring is kept full of one
/// 64-byte frame to B's (learned) MAC, B's RX ring is kept stocked with empty buffers. One `turn()`
/// = refill A's TX, one engine turn, drain B's RX: a burst of 32 frames in steady state.
public final class TwoPortDatapath {
    public static let macA: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x0A]
    public static let macB: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x0B]

    public let engine: Engine
    public let frameLength: Int
    let directory: String
    let a: TestFrontEnd
    let b: TestFrontEnd
    /// A's transmitq and B's receiveq, recycling (DriverRing+Recycling.swift).
    public let transmit: DriverRing
    public let receive: DriverRing
    private var closed = false

    /// B's dirty log while `dirtyLog` (live migration's, docs/dirty-log.md): kept mapped.
    let log: AnyObject?

    /// `dirtyLog`: B's front-end turns on live migration's dirty log (SET_LOG_BASE, LOG_ALL, the
    /// used ring's log flag) before the run, so every frame is logged.
    /// `packed`: both guests negotiate VIRTIO_F_RING_PACKED (docs/packed-rings.md).
    public init(frameLength: Int = 64, ringSize: Int = 256, dirtyLog: Bool = false, packed: Bool = false) throws {
        var template = Array("/tmp/sy-dpbench-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw WorkloadError.setup("mkdtemp failed (errno \(errno))")
        }
        let directory = String(cString: dir)
        self.directory = directory
        self.frameLength = frameLength
        var logger = Logger(label: "datapath-bench")
        logger.logLevel = .warning
        let engine = try Engine(configuration: EngineConfiguration(idle: .poll), logger: logger)
        self.engine = engine
        for name in ["a", "b"] {
            let spec = PortSpecification(name: name,
                                         kind: .vhostUser(socketPath: "\(directory)/\(name).sock", mode: .server, queuePairs: 1),
                                         vlan: .access(vlan: 1), macLimit: nil, mtu: 1500)
            if case .failure(let e) = engine.addPort(spec) { throw WorkloadError.setup("addPort \(name): \(e)") }
        }
        var options = TestFrontEnd.Options()
        options.ringSize = ringSize
        // No EVENT_IDX: the drivers suppress interrupts with VRING_AVAIL_F_NO_INTERRUPT instead.
        options.driverFeatures &= ~(UInt64(1) << 29)
        if packed { options.driverFeatures |= UInt64(1) << 34 }
        func connect(_ name: String) throws -> TestFrontEnd {
            let fe = try TestFrontEnd(connectingTo: "\(directory)/\(name).sock", options: options,
                                      pump: { engine.runOnce() })
            try fe.negotiate()
            try fe.start()
            try fe.sync()
            return fe
        }
        a = try connect("a")
        b = try connect("b")
        log = dirtyLog ? try b.logEverything() : nil
        // Both guests are connected: the socket paths are no longer needed, and removing them now
        // leaves nothing behind when a benchmark process exits without running `close()`.
        TwoPortDatapath.removeSockets(in: directory)

        try TwoPortDatapath.teachAddresses(engine: engine, a: a, b: b)
        let frame = TwoPortDatapath.frame(to: TwoPortDatapath.macB, from: TwoPortDatapath.macA, length: frameLength)
        try TwoPortDatapath.checkUnicast(engine: engine, from: a, to: b, frame: frame)

        let txRing = a.rings[1]
        TwoPortDatapath.fill(txRing, headerLength: a.netHeaderLength, frame: frame)
        transmit = txRing
        transmit.startRecycling(makeAllAvailable: true)
        receive = b.rings[0]
        receive.startRecycling(makeAllAvailable: false)
        // Nothing is sent back, but keep the idle rings quiet too (VRING_AVAIL_F_NO_INTERRUPT).
        for ring in [a.rings[0], b.rings[1]] {
            if ring.packed { ring.setDriverEvent(flags: 1) } else { ring.setAvailFlags(1) }
        }
    }

    /// Refill A's TX, one engine turn, drain B's RX. Returns the frames the engine moved.
    @inline(__always)
    public func turn() -> Int {
        transmit.recycle()
        let moved = engine.runOnce()
        receive.recycle()
        return moved
    }

    /// The frames B received and the bytes per frame (virtio-net header included) so far.
    public var delivered: (frames: Int, bytes: Int) { (receive.completed, receive.completedBytes) }

    /// Both guests broadcast once so the FDB learns A and B; their rings end up idle and drained.
    static func teachAddresses(engine: Engine, a: TestFrontEnd, b: TestFrontEnd) throws {
        try a.send(frame: frame(to: [UInt8](repeating: 0xFF, count: 6), from: macA, length: 64))
        try b.send(frame: frame(to: [UInt8](repeating: 0xFF, count: 6), from: macB, length: 64))
        var reclaimed = 0
        for _ in 0..<1000 where reclaimed < 2 {
            engine.runOnce()
            reclaimed += a.reclaimTransmitted() + b.reclaimTransmitted()
        }
        guard reclaimed == 2 else { throw WorkloadError.setup("warm-up broadcasts were not consumed") }
        let gotA = try a.receivedFrames(), gotB = try b.receivedFrames()
        guard gotA.count == 1, gotB.count == 1 else {
            throw WorkloadError.setup("warm-up floods: A got \(gotA.count), B got \(gotB.count)")
        }
    }

    /// One frame A → B must arrive at B only, unchanged: the FDB knows B.
    static func checkUnicast(engine: Engine, from a: TestFrontEnd, to b: TestFrontEnd, frame: [UInt8]) throws {
        try a.send(frame: frame)
        engine.runOnce()
        guard a.reclaimTransmitted() == 1 else { throw WorkloadError.setup("unicast frame not consumed") }
        let got = try b.receivedFrames()
        guard got == [frame] else { throw WorkloadError.setup("B received \(got.count) frames, not the unicast frame") }
        guard try a.receivedFrames().isEmpty else { throw WorkloadError.setup("the unicast frame was flooded back to A") }
    }

    /// Every TX descriptor carries the same frame (zeroed virtio-net header + `frame`), forever.
    static func fill(_ ring: DriverRing, headerLength: Int, frame: [UInt8]) {
        for id in 0..<ring.size {
            let buffer = ring.buffers[id]
            precondition(headerLength + frame.count <= buffer.length)
            buffer.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: headerLength)
            frame.withUnsafeBytes { (buffer.pointer + headerLength).copyMemory(from: $0.baseAddress!, byteCount: frame.count) }
            if ring.packed {
                ring.setRecycleLength(id, UInt32(headerLength + frame.count))
            } else {
                ring.setDescriptor(UInt16(id), address: buffer.gpa, length: UInt32(headerLength + frame.count), flags: 0)
            }
        }
    }

    /// dst, src, IPv4 ethertype, a byte pattern: `length` bytes without FCS.
    public static func frame(to dst: [UInt8], from src: [UInt8], length: Int) -> [UInt8] {
        var f = dst + src + [0x08, 0x00]
        while f.count < length { f.append(UInt8(truncatingIfNeeded: f.count &* 7)) }
        return f
    }

    /// Disconnects the guests, removes the ports and the socket directory.
    public func close() {
        guard !closed else { return }
        closed = true
        a.disconnect()
        b.disconnect()
        engine.runOnce()
        for name in ["a", "b"] { _ = engine.removePort(named: name) }
        TwoPortDatapath.removeSockets(in: directory)
    }

    static func removeSockets(in directory: String) {
        for name in ["a", "b"] { unlink("\(directory)/\(name).sock") }
        rmdir(directory)
    }

    deinit { close() }
}

public enum WorkloadError: Error, CustomStringConvertible {
    case setup(String)
    public var description: String {
        switch self {
        case .setup(let why): return "datapath workload: \(why)"
        }
    }
}
