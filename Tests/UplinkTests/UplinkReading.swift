import CSwitchyard
import Foundation
import GuestMemory
import Uplink
import Virtio

/// A received frame copied out of the ring, for assertions.
struct Received {
    let bytes: [UInt8]
    let tagRestored: Bool
    let vnetHeader: VirtioNetHeader
    let segmentCount: Int
    let firstSegmentLength: Int
}

extension UplinkSocket {
    /// Bursts until `count` frames matching `filter` arrived or `timeout` passed; sleeps in
    /// poll(2) on the socket between bursts, as the engine would in epoll.
    func collect(count: Int, timeout: Double = 2.0, where filter: ([UInt8]) -> Bool = { _ in true }) -> [Received] {
        var out: [Received] = []
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline {
            let n = receiveBurst(max: 32)
            for i in 0..<n {
                let f = frame(i)
                var bytes = [UInt8](repeating: 0, count: f.length)
                let copied = bytes.withUnsafeMutableBytes { b -> Int in
                    guard let base = b.baseAddress else { return 0 }
                    return f.segments.gather(offset: 0, count: f.length, into: base)
                }
                precondition(copied == f.length)
                if filter(bytes) {
                    out.append(Received(bytes: bytes, tagRestored: f.tagRestored, vnetHeader: f.vnetHeader,
                                        segmentCount: f.segments.count,
                                        firstSegmentLength: f.segments.first?.length ?? 0))
                }
            }
            releaseBurst()
            if n == 0 {
                var p = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, 10)
            }
        }
        return out
    }

    func send(_ frame: [UInt8], vnetHeader: VirtioNetHeader = VirtioNetHeader()) -> UplinkTransmitResult {
        frame.withUnsafeBytes { transmit(frame: $0, vnetHeader: vnetHeader) }
    }
}
