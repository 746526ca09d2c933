import CPcap

/// A compiled BPF filter (tcpdump syntax) run in user space against single frames, so a mirror
/// can select what it copies without a live capture handle.
public final class PcapFilter {
    public let expression: String
    private let program: UnsafeMutablePointer<bpf_program>
    private let snaplen: Int32

    public init(expression: String, linkType: PcapLinkType = .ethernet, snaplen: Int32 = 65535) throws(CaptureError) {
        guard let dead = pcap_open_dead(linkType.dlt, snaplen) else {
            throw CaptureError("pcap_open_dead", "out of memory")
        }
        defer { pcap_close(dead) }
        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        guard pcap_compile(dead, program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let message = pcap_geterr(dead).map { String(cString: $0) } ?? "unknown error"
            program.deallocate()
            throw CaptureError("pcap_compile '\(expression)'", message)
        }
        self.expression = expression
        self.program = program
        self.snaplen = snaplen
    }

    deinit {
        pcap_freecode(program)
        program.deallocate()
    }

    /// True when the filter accepts `frame` (as if captured whole, cut to snaplen).
    public func matches(frame: UnsafeRawBufferPointer) -> Bool {
        guard let bytes = frame.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        var header = pcap_pkthdr()
        header.caplen = bpf_u_int32(min(frame.count, Int(snaplen)))
        header.len = bpf_u_int32(truncatingIfNeeded: frame.count)
        return pcap_offline_filter(program, &header, bytes) != 0
    }

    /// True when the filter accepts the first `frame.count` bytes of a frame of `originalLength`
    /// bytes (a capture slot cut to its snaplen).
    public func matches(frame: UnsafeRawBufferPointer, originalLength: Int) -> Bool {
        guard let bytes = frame.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        var header = pcap_pkthdr()
        header.caplen = bpf_u_int32(min(frame.count, Int(snaplen)))
        header.len = bpf_u_int32(truncatingIfNeeded: max(originalLength, frame.count))
        return pcap_offline_filter(program, &header, bytes) != 0
    }

    public func matches(frame: [UInt8]) -> Bool {
        frame.withUnsafeBytes { matches(frame: $0) }
    }
}
