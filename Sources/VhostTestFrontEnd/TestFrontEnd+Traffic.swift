/// The guest driver's data path: frames out through TX rings, frames in from RX rings.
extension TestFrontEnd {
    /// Queues one frame on transmitq `queue` and kicks. `netHeader` (first bytes of the virtio-net
    /// header, e.g. NEEDS_CSUM or GSO fields) defaults to all zero.
    public func send(frame: [UInt8], queue: Int = 0, netHeader: [UInt8] = []) throws {
        let ring = rings[2 * queue + 1]
        while ring.popUsed() != nil {}
        let hlen = netHeaderLength
        guard hlen + frame.count <= options.bufferSize else { throw TestFrontEndError.badReply("frame too large for a buffer") }
        var bytes = [UInt8](repeating: 0, count: hlen)
        for (i, byte) in netHeader.prefix(hlen).enumerated() { bytes[i] = byte }
        bytes += frame
        try ring.post(length: bytes.count, writable: false, contents: bytes)
        ring.kick.signal()
    }

    /// Transmitted chains the back-end has returned so far on `queue` (and recycles them).
    public func reclaimTransmitted(queue: Int = 0) -> Int {
        var n = 0
        while rings[2 * queue + 1].popUsed() != nil { n += 1 }
        return n
    }

    /// Frames the back-end delivered into receiveq `queue`: headers stripped, `num_buffers` honoured
    /// (with MRG_RXBUF a frame spans that many used entries). Buffers are posted again.
    public func receivedFrames(queue: Int = 0) throws -> [[UInt8]] {
        let ring = rings[2 * queue]
        let hlen = netHeaderLength
        var frames: [[UInt8]] = []
        var current: [UInt8] = []
        var remaining = 0
        while let (id, length) = ring.popUsed() {
            let buffer = ring.buffers[Int(id)]
            let n = min(Int(length), buffer.length)
            let bytes = Array(UnsafeRawBufferPointer(start: buffer.pointer, count: n))
            if remaining == 0 {
                guard n >= hlen else { throw TestFrontEndError.badReply("RX chain shorter than the header") }
                let buffersUsed = hlen == 12 ? Int(UInt16(bytes[10]) | UInt16(bytes[11]) << 8) : 1
                guard buffersUsed >= 1 else { throw TestFrontEndError.badReply("num_buffers 0") }
                current = Array(bytes[hlen...])
                remaining = buffersUsed - 1
            } else {
                current += bytes
                remaining -= 1
            }
            if remaining == 0 { frames.append(current); current = [] }
            try ring.post(length: options.receiveBufferLength, writable: true)
        }
        guard remaining == 0 else { throw TestFrontEndError.badReply("frame missing \(remaining) buffers") }
        return frames
    }
}
