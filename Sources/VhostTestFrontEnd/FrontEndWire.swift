/// The front-end's own, independent encoding of vhost-user messages (deliberately not shared with
/// the VhostUser module, so tests compare two implementations of the wire format).
public enum FrontEndRequest: UInt32, Sendable {
    case getFeatures = 1, setFeatures = 2, setOwner = 3, resetOwner = 4, setMemTable = 5
    case setLogBase = 6, setLogFd = 7
    case setVringNum = 8, setVringAddr = 9, setVringBase = 10, getVringBase = 11
    case setVringKick = 12, setVringCall = 13, setVringErr = 14
    case getProtocolFeatures = 15, setProtocolFeatures = 16, getQueueNum = 17, setVringEnable = 18
    case sendRARP = 19, netSetMTU = 20, getConfig = 24
    case getMaxMemSlots = 36, addMemReg = 37, remMemReg = 38, setStatus = 39, getStatus = 40
}

/// A reply as read off the socket.
public struct FrontEndReply: Equatable, Sendable {
    public var code: UInt32
    public var flags: UInt32
    public var payload: [UInt8]

    public init(code: UInt32, flags: UInt32, payload: [UInt8]) {
        self.code = code
        self.flags = flags
        self.payload = payload
    }

    public var u64: UInt64? {
        payload.count == 8 ? payload.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } : nil
    }

    /// (index, num) of a vring state reply.
    public var vringState: (index: UInt32, num: UInt32)? {
        guard payload.count == 8 else { return nil }
        return payload.withUnsafeBytes {
            (UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
             UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        }
    }
}

public enum FrontEndWire {
    public static let version: UInt32 = 1
    public static let needReply: UInt32 = 0x8

    public static func message(_ code: UInt32, flags: UInt32 = version, payload: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        put(code, &out)
        put(flags, &out)
        put(UInt32(payload.count), &out)
        return out + payload
    }

    public static func u64(_ v: UInt64) -> [UInt8] { var o: [UInt8] = []; put(v, &o); return o }

    public static func vringState(_ index: Int, _ num: UInt32) -> [UInt8] {
        var o: [UInt8] = []
        put(UInt32(index), &o)
        put(num, &o)
        return o
    }

    /// desc, used, avail, log: the wire order.
    public static func vringAddress(_ index: Int, desc: UInt64, used: UInt64, avail: UInt64, flags: UInt32 = 0,
                                    log: UInt64 = 0) -> [UInt8] {
        var o: [UInt8] = []
        put(UInt32(index), &o)
        put(flags, &o)
        put(desc, &o)
        put(used, &o)
        put(avail, &o)
        put(log, &o)
        return o
    }

    public static func memoryTable(_ regions: [GuestRAM.Region]) -> [UInt8] {
        var o: [UInt8] = []
        put(UInt32(regions.count), &o)
        put(UInt32(0), &o)
        for r in regions { region(r, &o) }
        return o
    }

    public static func singleRegion(_ r: GuestRAM.Region) -> [UInt8] {
        var o: [UInt8] = []
        put(UInt64(0), &o)
        region(r, &o)
        return o
    }

    static func region(_ r: GuestRAM.Region, _ o: inout [UInt8]) {
        put(r.guestPhysicalAddress, &o)
        put(UInt64(r.size), &o)
        put(r.userspaceAddress, &o)
        put(r.mmapOffset, &o)
    }

    static func put<T: FixedWidthInteger>(_ v: T, _ o: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { o.append(contentsOf: $0) }
    }
}
