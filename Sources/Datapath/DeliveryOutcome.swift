import SwitchCore
import Uplink
import Virtio

/// What became of one frame offered to one port, whatever its kind. Every kind's delivery
/// reports one of these and `Engine.record` counts it: the one place where a delivery result
/// becomes a transmit counter or a drop reason (README, "Every dropped frame is counted").
enum DeliveryOutcome {
    /// Written to the port (or staged for it) with this many bytes after re-tagging.
    case delivered(bytes: Int)
    case dropped(DropReason)
    /// The receiver's buffer chain was refused by the walker (counted by its chain error).
    case refusedBuffer(ChainError)

    /// A guest RX ring's answer to a reservation (or a one-call `receiveFrame`).
    @inline(__always)
    init(_ reservation: ReceiveReservation, bytes: Int) {
        switch reservation {
        case .reserved: self = .delivered(bytes: bytes)
        case .noRoom: self = .dropped(.rxRingFull)
        case .tooLarge: self = .dropped(.oversize)
        case .malformed(let error): self = .refusedBuffer(error)
        case .broken: self = .dropped(.malformedDescriptor)
        }
    }

    /// The uplink socket's answer to a transmit.
    @inline(__always)
    init(_ result: UplinkTransmitResult, bytes: Int) {
        switch result {
        case .queued: self = .delivered(bytes: bytes)
        case .ringFull: self = .dropped(.rxRingFull)
        case .mtuExceeded: self = .dropped(.mtuExceeded)
        case .rejected: self = .dropped(.txError)
        }
    }
}

extension Engine {
    /// Counts `outcome` against `port`; true when the frame was delivered.
    @inline(__always) @discardableResult
    func record(_ outcome: DeliveryOutcome, port: UInt16) -> Bool {
        switch outcome {
        case .delivered(let bytes):
            // Never negative: a frame length plus at most -4 for a tagged one, which is >= 18.
            bridge.recordTransmit(port: port, frames: 1, bytes: UInt64(truncatingIfNeeded: bytes))
            return true
        case .dropped(let reason):
            bridge.recordTransmitDrop(port: port, reason: reason)
        case .refusedBuffer(let error):
            recordRefusedBuffer(error, of: port)
        }
        return false
    }

    /// The MTU rule, for every kind and every path (untagged, re-tagged, offloaded, software
    /// segments): a frame leaves a port only if it is at most its largest untagged frame (MTU +
    /// 14), plus 4 when it leaves tagged. GSO frames are exempt: the receiver cuts them.
    @inline(__always)
    static func fits(length: Int, maximumFrameLength: Int, leavesTagged: Bool) -> Bool {
        length <= maximumFrameLength &+ (leavesTagged ? 4 : 0)
    }
}
