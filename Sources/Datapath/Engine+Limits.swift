import SwitchCore
import Virtio

/// The per-port limits of docs/limits.md as the datapath applies them, off the per-frame path:
/// only refused chains and frames that need software segmentation get here.
extension Engine {
    /// A TX chain refused by the walker. Out of line (as is `recordRefusedBuffer`): the mapping
    /// inlined into the burst loop makes the optimizer keep `forward` out of line (+46 Ir/frame).
    @inline(never)
    func recordRefusedChain(_ error: ChainError?, from port: UInt16) {
        bridge.recordReceiveDrop(port: port, reason: error?.dropReason ?? .malformedDescriptor)
    }

    /// An RX buffer chain refused by the walker.
    @inline(never)
    func recordRefusedBuffer(_ error: ChainError, of port: UInt16) {
        bridge.recordTransmitDrop(port: port, reason: error.dropReason)
    }

    /// The limits of the port whose guest sent a frame (its own `limits:` over the switch's).
    func limits(ofSender index: UInt16) -> PortLimits {
        let i = Int(index)
        guard i < ports.count, let port = ports[i] else { return PortLimits() }
        return port.spec.limits
    }
}

extension ChainError {
    /// A chain over the descriptor (or piece) limit is counted apart from chains that break the
    /// virtio rules, so an operator can tell a limit set too low from a broken driver.
    var dropReason: DropReason {
        switch self {
        case .tooManyDescriptors, .tooManySegments: .chainTooLong
        default: .malformedDescriptor
        }
    }
}
