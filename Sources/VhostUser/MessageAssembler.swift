#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// What one read attempt on a front-end socket produced.
public enum MessageReadOutcome {
    case message(VhostUserMessage)
    /// Nothing more to read now; a partial message stays buffered.
    case wouldBlock
    case closed
    case failed(VhostUserProtocolError)
}

/// Reassembles messages from a non-blocking stream socket without ever waiting: the header
/// (12 bytes, descriptors ride on its first bytes) then exactly `size` payload bytes. Reads never
/// go past the current message, so the kernel cannot hand us the next message's descriptors early.
struct MessageAssembler {
    private var header = [UInt8](repeating: 0, count: VhostUserHeader.byteCount)
    private var headerFill = 0
    private var parsed: VhostUserHeader?
    private var payload: [UInt8] = []
    private var payloadFill = 0
    private var descriptors: [OwnedFileDescriptor] = []

    /// Room for more than any valid message carries; extra ones are a protocol error
    /// (docs/vhost-user-protocol.md#descriptor-passing).
    static let maxDescriptors = 32

    var hasPartialMessage: Bool { headerFill > 0 }

    mutating func readNext(from socket: UnixSocket) -> MessageReadOutcome {
        while true {
            if parsed == nil {
                switch Self.fill(&header, from: headerFill, socket, &descriptors) {
                case .progress(let n):
                    headerFill += n
                    guard headerFill == VhostUserHeader.byteCount else { continue }
                    let h = header.withUnsafeBytes { VhostUserHeader(bytes: $0) }
                    if let error = VhostUserCodec.validate(header: h) { return fail(error) }
                    parsed = h
                    payload = [UInt8](repeating: 0, count: Int(h.size))
                    payloadFill = 0
                case .outcome(let o):
                    return settle(o)
                }
            }
            guard let h = parsed else { continue }
            if payloadFill < payload.count {
                switch Self.fill(&payload, from: payloadFill, socket, &descriptors) {
                case .progress(let n):
                    payloadFill += n
                    continue
                case .outcome(let o):
                    return settle(o)
                }
            }
            let fds = descriptors
            let body = payload
            descriptors = []  // handed to the message: reset() must not close them
            reset()
            let decoded = body.withUnsafeBytes { VhostUserCodec.decode(header: h, payload: $0, descriptors: fds) }
            switch decoded {
            case .success(let m): return .message(m)
            case .failure(let e): return .failed(e)
            }
        }
    }

    private enum Step {
        case progress(Int)
        case outcome(MessageReadOutcome)
    }

    private static func fill(_ buffer: inout [UInt8], from offset: Int, _ socket: UnixSocket,
                             _ descriptors: inout [OwnedFileDescriptor]) -> Step {
        let result = buffer.withUnsafeMutableBytes { raw in
            socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]),
                           maxDescriptors: maxDescriptors)
        }
        switch result {
        case .ok(let got):
            descriptors.append(contentsOf: got.descriptors)
            if descriptors.count > maxDescriptors { return .outcome(.failed(.descriptorsTruncated)) }
            return .progress(got.count)
        case .wouldBlock:
            return .outcome(.wouldBlock)
        case .closed:
            return .outcome(.closed)
        case .error(let e):
            // The shim reports too many descriptors or a truncated control message as EMSGSIZE
            // (it has closed the ones it got).
            return .outcome(.failed(e.code == EMSGSIZE ? .descriptorsTruncated : .socket(e)))
        }
    }

    private mutating func settle(_ outcome: MessageReadOutcome) -> MessageReadOutcome {
        switch outcome {
        case .wouldBlock, .message: return outcome
        case .closed, .failed: reset(); return outcome
        }
    }

    private mutating func fail(_ error: VhostUserProtocolError) -> MessageReadOutcome {
        reset()
        return .failed(error)
    }

    /// Drops buffered bytes and closes descriptors of an unfinished message.
    mutating func reset() {
        descriptors.forEach { $0.close() }
        descriptors = []
        headerFill = 0
        parsed = nil
        payload = []
        payloadFill = 0
    }
}
