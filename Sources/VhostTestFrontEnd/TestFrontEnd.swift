#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// Plays QEMU (or DPDK virtio-user) in-process against a vhost-user back-end: memfd guest RAM,
/// driver-side rings, kick/call eventfds and scripted message sequences. Every wait has a deadline,
/// so a broken back-end fails a test instead of hanging it.
///
/// When the back-end runs on the same thread, pass `pump`: it is called while waiting for replies
/// (it should run one non-blocking turn of the back-end's event loop).
public final class TestFrontEnd {
    public struct Options {
        public var queuePairs = 1
        public var ringSize = 256
        public var bufferSize = 2048
        /// RX buffers are posted with this many bytes (nil: the whole buffer): small ones make a
        /// frame span several buffers with MRG_RXBUF while TX buffers stay large.
        public var receiveBufferLength: Int?
        public var regionSize = 4 << 20
        public var layout: GuestRAM.Layout = .qemu
        /// Feature bits the "guest driver" accepts (intersected with the back-end's offer).
        /// Default: everything but packed rings, IOMMU and in-order, which need driver support.
        public var driverFeatures: UInt64 = ~((1 << 33) | (1 << 34) | (1 << 35))
        /// Protocol features the front-end knows (QEMU 7+: all but XEN_MMAP and newer).
        public var protocolFeatures: UInt64 = 0x1_FFFF
        /// Send NET_SET_MTU with this value at start (when F_MTU is negotiated).
        public var mtu: Int?
        /// Ask for an ack on every set request (when REPLY_ACK is negotiated): makes scripts
        /// synchronous with the back-end.
        public var ackEverything = true
        public var timeout: Duration = .seconds(5)
        /// memfd name; tests use a unique one to find its descriptors and mappings in /proc.
        public var memoryName = "guest-ram"
        /// Seal the memfd against shrinking and growing, as QEMU's memory-backend-memfd does.
        public var sealMemory = false
        public init() {}
    }

    public let socket: UnixSocket
    public var options: Options
    public var pump: (() -> Void)?
    public internal(set) var ram: GuestRAM
    public internal(set) var rings: [DriverRing] = []
    public internal(set) var offeredFeatures: UInt64 = 0
    public internal(set) var ackedFeatures: UInt64 = 0
    public internal(set) var offeredProtocolFeatures: UInt64 = 0
    public internal(set) var protocolFeatures: UInt64 = 0
    public internal(set) var status: UInt64 = 0
    /// Placeholder call fds QEMU installs at connect ("masked notifiers").
    var maskedCalls: [EventFD] = []

    public init(socket: UnixSocket, options: Options = Options(), pump: (() -> Void)? = nil) throws {
        self.socket = socket
        self.options = options
        self.pump = pump
        ram = try GuestRAM(regionSize: options.regionSize, layout: options.layout, name: options.memoryName,
                           sealed: options.sealMemory)
    }

    /// QEMU as socket client (the back-end listens on `path`).
    public convenience init(connectingTo path: String, options: Options = Options(), pump: (() -> Void)? = nil) throws {
        switch UnixSocket.connect(to: path) {
        case .success(let s): try self.init(socket: s, options: options, pump: pump)
        case .failure(let e): throw TestFrontEndError.io(e)
        }
    }

    /// QEMU as socket server (`server=on`): waits for the back-end to connect to `listener`.
    public static func accept(on listener: UnixListener, options: Options = Options(),
                              pump: (() -> Void)? = nil) throws -> TestFrontEnd {
        let deadline = ContinuousClock.now + options.timeout
        while ContinuousClock.now < deadline {
            if case .ok(let s) = listener.accept() {
                try s.descriptor.setNonBlocking(false)
                return try TestFrontEnd(socket: s, options: options, pump: pump)
            }
            pump?()
            usleep(1000)
        }
        throw TestFrontEndError.timeout("the back-end to connect")
    }

    public var replyAckNegotiated: Bool { protocolFeatures & (1 << 3) != 0 }
    public var netHeaderLength: Int { ackedFeatures & ((1 << 32) | (1 << 15)) != 0 ? 12 : 10 }

    // MARK: raw messages

    public func sendRaw(_ bytes: [UInt8], fds: [Int32] = []) throws {
        switch socket.send(bytes, fds: fds) {
        case .ok: return
        case .closed: throw TestFrontEndError.closedByBackEnd
        case .wouldBlock: throw TestFrontEndError.timeout("socket buffer space")
        case .error(let e): throw e.code == EPIPE ? TestFrontEndError.closedByBackEnd : TestFrontEndError.io(e)
        }
    }

    /// Sends a request; returns its reply when one is expected (a GET, or an ack we asked for).
    /// A non-zero ack throws `.nack`.
    @discardableResult
    public func request(_ r: FrontEndRequest, _ payload: [UInt8] = [], fds: [Int32] = [],
                        expectReply: Bool = false, ack: Bool? = nil) throws -> FrontEndReply? {
        let wantAck = !expectReply && (ack ?? options.ackEverything) && replyAckNegotiated
        let flags = FrontEndWire.version | (wantAck ? FrontEndWire.needReply : 0)
        try sendRaw(FrontEndWire.message(r.rawValue, flags: flags, payload: payload), fds: fds)
        guard expectReply || wantAck else { return nil }
        let reply = try readReply()
        guard reply.flags == 0x5 else { throw TestFrontEndError.badReply("flags 0x\(String(reply.flags, radix: 16))") }
        guard reply.code == r.rawValue else { throw TestFrontEndError.badReply("code \(reply.code) for \(r)") }
        if wantAck {
            guard let v = reply.u64 else { throw TestFrontEndError.badReply("ack of \(reply.payload.count) bytes") }
            if v != 0 { throw TestFrontEndError.nack(r.rawValue) }
        }
        return reply
    }

    public func getU64(_ r: FrontEndRequest) throws -> UInt64 {
        guard let v = try request(r, expectReply: true)?.u64 else { throw TestFrontEndError.badReply("\(r) without u64") }
        return v
    }

    /// Waits for readability (pumping the back-end), then reads one whole message.
    public func readReply() throws -> FrontEndReply {
        try waitReadable("a reply")
        var header = [UInt8](repeating: 0, count: 12)
        try readExactly(&header)
        let (code, flags, size) = header.withUnsafeBytes {
            (UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
             UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
             UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        }
        guard size <= 4096 else { throw TestFrontEndError.badReply("size \(size)") }
        var payload = [UInt8](repeating: 0, count: Int(size))
        if size > 0 { try readExactly(&payload) }
        return FrontEndReply(code: code, flags: flags, payload: payload)
    }

    /// True when the back-end closes the connection within the timeout (pumping meanwhile).
    public func waitForClose() -> Bool {
        guard (try? waitReadable("close")) != nil else { return false }
        var byte: UInt8 = 0
        return recv(socket.rawValue, &byte, 1, Int32(MSG_PEEK)) == 0
    }

    /// A GET_FEATURES round trip: everything sent before it has been processed (QEMU does the same).
    public func sync() throws { _ = try getU64(.getFeatures) }

    public func disconnect() { socket.descriptor.close() }

    private func waitReadable(_ what: String) throws {
        let deadline = ContinuousClock.now + options.timeout
        while true {
            var p = pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)
            let n = poll(&p, 1, pump == nil ? 10 : 0)
            if n > 0 { return }
            guard ContinuousClock.now < deadline else { throw TestFrontEndError.timeout(what) }
            if let pump { pump() } else { continue }
            usleep(200)
        }
    }

    private func readExactly(_ buffer: inout [UInt8]) throws {
        let r = buffer.withUnsafeMutableBytes { socket.readExactly(into: $0, timeoutMs: 5000) }
        switch r {
        case .ok: return
        case .closed: throw TestFrontEndError.closedByBackEnd
        case .wouldBlock: throw TestFrontEndError.timeout("reply bytes")
        case .error(let e): throw TestFrontEndError.io(e)
        }
    }
}
