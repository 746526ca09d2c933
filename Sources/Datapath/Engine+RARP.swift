import GuestMemory
import Logging
import SwitchCore
import Virtio

extension Engine {
    /// SEND_RARP (a migrated guest without GUEST_ANNOUNCE): broadcast a RARP frame from `mac` as if
    /// the guest had sent it, so the FDB and the physical network learn its new location
    /// (docs/vhost-user-protocol.md#rarp-after-migration; the frame DPDK's rte_net_make_rarp_packet builds).
    func injectRARP(from port: VhostPort, mac: [UInt8]) {
        guard mac.count == 6 else { return }
        // A guest may not announce an address its allow-list forbids (docs/port-security.md): the
        // RARP would move another port's entry here. Counted like any frame from that source.
        let address = MACAddress(mac[0], mac[1], mac[2], mac[3], mac[4], mac[5])
        guard bridge.allowsSource(port: port.index, address) else {
            bridge.recordReceiveDrop(port: port.index, reason: .sourceMACNotAllowed, frames: 1, bytes: 60)
            logger.warning("SEND_RARP refused: source MAC not allowed on this port",
                           metadata: ["port": "\(port.spec.name)", "mac": "\(address)"])
            return
        }
        var frame = [UInt8](repeating: 0, count: port.headerLength + 60)
        let h = port.headerLength
        for i in 0..<6 { frame[h + i] = 0xFF; frame[h + 6 + i] = mac[i] }
        let body: [UInt8] = [0x80, 0x35, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x03]
        for (i, b) in body.enumerated() { frame[h + 12 + i] = b }
        for i in 0..<6 { frame[h + 22 + i] = mac[i]; frame[h + 32 + i] = mac[i] }
        frame.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            var segment = GuestSegment(base: base, length: raw.count)
            withUnsafePointer(to: &segment) { seg in
                let segments = UnsafeBufferPointer(start: seg, count: 1)
                var header = FrameHeader.parse(UnsafeRawPointer(base + h), length: 60)
                var decision = bridge.decide(ingress: port.index, frame: header, now: clock.now)
                let source = FrameSource(index: port.index, skip: h, features: port.features)
                var netHeader = VirtioNetHeader()
                withUnsafePointer(to: &header) { header in
                    withUnsafePointer(to: &netHeader) { netHeader in
                        withUnsafePointer(to: &decision) { decision in
                            forward(segments, header: header, l2: UnsafeRawPointer(base + h), netHeader: netHeader,
                                    from: source, pair: 0, decision: decision)
                        }
                    }
                }
            }
        }
        flushTurn()
    }
}
