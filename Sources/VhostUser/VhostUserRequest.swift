/// Front-end → back-end request codes (vhost-user spec, "Front-end message types").
/// Codes we do not know stay representable as a raw `UInt32` in `VhostUserMessage.code`.
public enum VhostUserRequest: UInt32, Sendable, CaseIterable {
    case getFeatures = 1
    case setFeatures = 2
    case setOwner = 3
    case resetOwner = 4
    case setMemTable = 5
    case setLogBase = 6
    case setLogFd = 7
    case setVringNum = 8
    case setVringAddr = 9
    case setVringBase = 10
    case getVringBase = 11
    case setVringKick = 12
    case setVringCall = 13
    case setVringErr = 14
    case getProtocolFeatures = 15
    case setProtocolFeatures = 16
    case getQueueNum = 17
    case setVringEnable = 18
    case sendRARP = 19
    case netSetMTU = 20
    case setBackendReqFd = 21
    case iotlbMessage = 22
    case setVringEndian = 23
    case getConfig = 24
    case setConfig = 25
    case createCryptoSession = 26
    case closeCryptoSession = 27
    case postcopyAdvise = 28
    case postcopyListen = 29
    case postcopyEnd = 30
    case getInflightFd = 31
    case setInflightFd = 32
    case gpuSetSocket = 33
    case resetDevice = 34
    case vringKick = 35
    case getMaxMemSlots = 36
    case addMemReg = 37
    case remMemReg = 38
    case setStatus = 39
    case getStatus = 40
    case getSharedObject = 41
    case setDeviceStateFd = 42
    case checkDeviceState = 43
}

extension VhostUserRequest {
    /// Requests whose reply is their answer: the front-end always waits for it, NEED_REPLY or not
    /// ("no behavioural change" under REPLY_ACK). SET_LOG_BASE is not here: its u64 reply is the
    /// handler's own (`VhostUserDevice.setLogBase`), since QEMU waits for one with LOG_SHMFD.
    public var alwaysReplies: Bool {
        switch self {
        case .getFeatures, .getProtocolFeatures, .getVringBase, .getQueueNum, .getMaxMemSlots,
             .getConfig, .getStatus, .getInflightFd, .postcopyAdvise, .postcopyEnd, .iotlbMessage,
             .setDeviceStateFd, .checkDeviceState, .getSharedObject:
            return true
        default:
            return false
        }
    }

    /// The payload layout the spec gives each request; anything we do not interpret is `opaque`.
    var payloadShape: PayloadShape {
        switch self {
        case .getFeatures, .setOwner, .resetOwner, .getProtocolFeatures, .getQueueNum, .getMaxMemSlots,
             .getStatus, .setLogFd, .resetDevice, .checkDeviceState, .postcopyListen, .postcopyEnd:
            return .empty
        case .setFeatures, .setProtocolFeatures, .setVringKick, .setVringCall, .setVringErr, .sendRARP,
             .netSetMTU, .setStatus:
            return .u64
        case .setVringNum, .setVringBase, .getVringBase, .setVringEnable, .setVringEndian, .vringKick:
            return .vringState
        case .setVringAddr:
            return .vringAddress
        case .setMemTable:
            return .memoryTable
        case .addMemReg, .remMemReg:
            return .singleRegion
        case .setLogBase:
            return .log
        default:
            return .opaque
        }
    }
}

enum PayloadShape {
    case empty, u64, vringState, vringAddress, memoryTable, singleRegion, log, opaque
}
