import GuestMemory
import LinuxIO

/// Wire encoding and strict validation of vhost-user messages
/// (docs/vhost-user-protocol.md#wire-format). Decoding closes every descriptor of a rejected message:
/// they are adopted before validation and dropped with it.
public enum VhostUserCodec {
    public static let maxRegionsPerTable = 8
    static let regionByteCount = 32

    /// Checks a header before its payload is read, so a bogus size never makes us buffer 4 GiB.
    public static func validate(header: VhostUserHeader) -> VhostUserProtocolError? {
        if header.flags & VhostUserHeader.versionMask != VhostUserHeader.version {
            return .unsupportedVersion(flags: header.flags)
        }
        if header.flags & VhostUserHeader.replyFlag != 0 { return .replyFlagOnRequest(code: header.code) }
        if header.size > VhostUserHeader.maxPayloadSize {
            return .payloadTooLarge(code: header.code, size: header.size)
        }
        return nil
    }

    /// Decodes a complete request. `descriptors` are consumed: on failure they are closed.
    public static func decode(header: VhostUserHeader, payload: UnsafeRawBufferPointer,
                              descriptors: [OwnedFileDescriptor]) -> Result<VhostUserMessage, VhostUserProtocolError> {
        let result = decodeChecked(header, payload, descriptors.count)
        switch result {
        case .failure(let error):
            descriptors.forEach { $0.close() }
            return .failure(error)
        case .success(let body):
            return .success(VhostUserMessage(code: header.code, flags: header.flags, payload: body,
                                             descriptors: descriptors))
        }
    }

    private static func decodeChecked(_ header: VhostUserHeader, _ p: UnsafeRawBufferPointer,
                                      _ fdCount: Int) -> Result<VhostUserPayload, VhostUserProtocolError> {
        if let error = validate(header: header) { return .failure(error) }
        let code = header.code
        let size = p.count
        guard size == Int(header.size) else { return .failure(.wrongPayloadSize(code: code, size: header.size)) }
        func sized(_ n: Int) -> Bool { size == n }
        let wrongSize = VhostUserProtocolError.wrongPayloadSize(code: code, size: header.size)
        let shape = VhostUserRequest(rawValue: code)?.payloadShape ?? .opaque

        let payload: VhostUserPayload
        switch shape {
        case .empty:
            guard sized(0) else { return .failure(wrongSize) }
            payload = .empty
        case .u64:
            guard sized(8) else { return .failure(wrongSize) }
            payload = .u64(p.littleEndian(0, as: UInt64.self))
        case .vringState:
            guard sized(8) else { return .failure(wrongSize) }
            payload = .vringState(VringState(index: p.littleEndian(0, as: UInt32.self),
                                             num: p.littleEndian(4, as: UInt32.self)))
        case .vringAddress:
            guard sized(40) else { return .failure(wrongSize) }
            payload = .vringAddress(VringAddress(
                index: p.littleEndian(0, as: UInt32.self), flags: p.littleEndian(4, as: UInt32.self),
                descriptorUVA: p.littleEndian(8, as: UInt64.self), usedUVA: p.littleEndian(16, as: UInt64.self),
                availableUVA: p.littleEndian(24, as: UInt64.self), logGPA: p.littleEndian(32, as: UInt64.self)))
        case .memoryTable:
            guard size >= 8 else { return .failure(wrongSize) }
            let count = p.littleEndian(0, as: UInt32.self)
            guard count >= 1, count <= UInt32(maxRegionsPerTable) else { return .failure(.invalidRegionCount(count)) }
            guard sized(8 + regionByteCount * Int(count)) else { return .failure(wrongSize) }
            payload = .memoryTable((0..<Int(count)).map { region(p, at: 8 + regionByteCount * $0, truncated: false) })
        case .singleRegion:
            // 40 bytes: u64 padding + region. QEMU before 5.2 sent 36 (its padding was a u32 and the
            // size ignored the hole), truncating mmap_offset to its low 32 bits: accept that too.
            guard sized(40) || sized(36) else { return .failure(wrongSize) }
            payload = .singleRegion(region(p, at: 8, truncated: size == 36))
        case .log:
            guard sized(16) else { return .failure(wrongSize) }
            payload = .log(VhostUserLogArea(mmapSize: p.littleEndian(0, as: UInt64.self),
                                            mmapOffset: p.littleEndian(8, as: UInt64.self)))
        case .opaque:
            payload = .opaque(Array(p))
        }
        if let error = checkDescriptorCount(code, payload, fdCount) { return .failure(error) }
        return .success(payload)
    }

    private static func region(_ p: UnsafeRawBufferPointer, at o: Int, truncated: Bool) -> MemoryRegionDescriptor {
        MemoryRegionDescriptor(
            guestPhysicalAddress: p.littleEndian(o, as: UInt64.self), size: p.littleEndian(o + 8, as: UInt64.self),
            userspaceAddress: p.littleEndian(o + 16, as: UInt64.self),
            mmapOffset: truncated ? UInt64(p.littleEndian(o + 24, as: UInt32.self)) : p.littleEndian(o + 24, as: UInt64.self))
    }

    /// The descriptor count each request must carry (docs/vhost-user-protocol.md#descriptor-passing).
    private static func checkDescriptorCount(_ code: UInt32, _ payload: VhostUserPayload,
                                             _ received: Int) -> VhostUserProtocolError? {
        func expect(_ allowed: ClosedRange<Int>) -> VhostUserProtocolError? {
            guard !allowed.contains(received) else { return nil }
            let text = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound)...\(allowed.upperBound)"
            return .wrongDescriptorCount(code: code, expected: text, received: received)
        }
        switch VhostUserRequest(rawValue: code) {
        case .setMemTable:
            if case .memoryTable(let regions) = payload { return expect(regions.count...regions.count) }
            return expect(0...0)
        case .addMemReg, .setLogFd, .setBackendReqFd, .setInflightFd, .setDeviceStateFd, .gpuSetSocket:
            return expect(1...1)
        case .remMemReg, .setLogBase:
            // REM_MEM_REG: old front-ends attach the region's fd (we close it unused).
            // SET_LOG_BASE: an fd only with LOG_SHMFD.
            return expect(0...1)
        case .setVringKick, .setVringCall, .setVringErr:
            guard case .u64(let raw) = payload else { return expect(0...0) }
            guard let word = VringDescriptorWord(raw) else { return .invalidVringDescriptorWord(raw) }
            return word.hasDescriptor ? expect(1...1) : expect(0...0)
        default:
            return expect(0...0)
        }
    }
}

extension VhostUserCodec {
    /// A reply: flags exactly version | REPLY (never NEED_REPLY) and the request's own code.
    public static func encodeReply(to code: UInt32, payload: VhostUserPayload) -> [UInt8] {
        encode(code: code, flags: VhostUserHeader.replyFlags, payload: payload)
    }

    /// Any message (replies, and requests in tests).
    public static func encode(code: UInt32, flags: UInt32, payload: VhostUserPayload) -> [UInt8] {
        var body: [UInt8] = []
        switch payload {
        case .empty:
            break
        case .u64(let v):
            body.appendLittleEndian(v)
        case .vringState(let s):
            body.appendLittleEndian(s.index)
            body.appendLittleEndian(s.num)
        case .vringAddress(let a):
            body.appendLittleEndian(a.index)
            body.appendLittleEndian(a.flags)
            body.appendLittleEndian(a.descriptorUVA)
            body.appendLittleEndian(a.usedUVA)
            body.appendLittleEndian(a.availableUVA)
            body.appendLittleEndian(a.logGPA)
        case .memoryTable(let regions):
            body.appendLittleEndian(UInt32(regions.count))
            body.appendLittleEndian(UInt32(0))
            regions.forEach { append($0, to: &body) }
        case .singleRegion(let r):
            body.appendLittleEndian(UInt64(0))
            append(r, to: &body)
        case .log(let l):
            body.appendLittleEndian(l.mmapSize)
            body.appendLittleEndian(l.mmapOffset)
        case .opaque(let bytes):
            body = bytes
        }
        var out: [UInt8] = []
        out.reserveCapacity(VhostUserHeader.byteCount + body.count)
        VhostUserHeader(code: code, flags: flags, size: UInt32(body.count)).append(to: &out)
        out.append(contentsOf: body)
        return out
    }

    private static func append(_ r: MemoryRegionDescriptor, to body: inout [UInt8]) {
        body.appendLittleEndian(r.guestPhysicalAddress)
        body.appendLittleEndian(r.size)
        body.appendLittleEndian(r.userspaceAddress)
        body.appendLittleEndian(r.mmapOffset)
    }
}
