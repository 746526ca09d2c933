import CPcap

/// Writes frames to a classic pcap file (libpcap's pcap_dump). Buffered: call `flush()` when the
/// file must be readable by another process before `close()`.
public final class PcapWriter {
    public let path: String
    public let snaplen: Int32
    private var dead: OpaquePointer?
    private var dumper: OpaquePointer?

    public init(path: String, linkType: PcapLinkType = .ethernet, snaplen: Int32 = 65535) throws(CaptureError) {
        guard snaplen > 0 else { throw CaptureError("pcap writer \(path)", "snaplen must be positive") }
        guard let dead = pcap_open_dead(linkType.dlt, snaplen) else {
            throw CaptureError("pcap_open_dead", "out of memory")
        }
        guard let dumper = pcap_dump_open(dead, path) else {
            let message = pcap_geterr(dead).map { String(cString: $0) } ?? "unknown error"
            pcap_close(dead)
            throw CaptureError("pcap_dump_open \(path)", message)
        }
        self.path = path
        self.snaplen = snaplen
        self.dead = dead
        self.dumper = dumper
    }

    /// Appends one frame, cut to `snaplen` bytes (the record keeps the original length).
    /// Writes after `close()` are ignored. Returns false when nothing was written.
    @discardableResult
    public func write(frame: UnsafeRawBufferPointer, timestamp: PcapTimestamp) -> Bool {
        guard let dumper, let bytes = frame.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        var header = pcap_pkthdr()
        header.ts = timestamp.timeval
        header.caplen = bpf_u_int32(min(frame.count, Int(snaplen)))
        header.len = bpf_u_int32(truncatingIfNeeded: frame.count)
        pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, bytes)
        return true
    }

    /// Appends a frame already cut to `frame.count` bytes of its `originalLength` (a live
    /// capture's record), cut further to this file's snaplen.
    @discardableResult
    public func write(frame: [UInt8], timestamp: PcapTimestamp, originalLength: Int) -> Bool {
        guard let dumper else { return false }
        return frame.withUnsafeBytes { b in
            guard let bytes = b.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
            var header = pcap_pkthdr()
            header.ts = timestamp.timeval
            header.caplen = bpf_u_int32(min(b.count, Int(snaplen)))
            header.len = bpf_u_int32(truncatingIfNeeded: max(originalLength, b.count))
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, bytes)
            return true
        }
    }

    @discardableResult
    public func write(frame: [UInt8], timestamp: PcapTimestamp) -> Bool {
        frame.withUnsafeBytes { write(frame: $0, timestamp: timestamp) }
    }

    public func flush() throws(CaptureError) {
        guard let dumper else { return }
        guard pcap_dump_flush(dumper) == 0 else { throw CaptureError("pcap_dump_flush \(path)", "write failed") }
    }

    /// Flushes and closes the file; later calls do nothing.
    public func close() {
        if let dumper { pcap_dump_close(dumper) }
        if let dead { pcap_close(dead) }
        dumper = nil
        dead = nil
    }

    deinit { close() }
}
