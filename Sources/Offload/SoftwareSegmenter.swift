import Virtio

/// Cuts one contiguous GSO frame into frames a receiver without the matching GUEST_* feature can
/// take: TCP segments (TSO) or IPv4 fragments (UFO). Produces one output frame per `next(into:)`
/// call, so the caller can copy each straight into an RX ring from one reusable buffer.
///
/// The segmenter only reads the source frame; it keeps a pointer to it, so the source buffer
/// must stay alive and unchanged until `isFinished`. No allocation, no closures.
public struct SoftwareSegmenter {
    let source: UnsafeRawPointer
    let sourceLength: Int
    let layout: FrameLayout
    let kind: SegmentationKind
    let checksumMode: SegmentChecksumMode
    /// Bytes every output frame starts with: all headers for TCP, up to the UDP header for UFO
    /// (the UDP header travels in the first fragment only).
    let copiedHeaderLength: Int
    /// Payload bytes per output frame (UFO: rounded down to a multiple of 8).
    let chunkSize: Int
    let firstSequenceNumber: UInt32
    let firstIdentification: UInt16
    /// UFO: the datagram's finished UDP checksum, stored into the first fragment.
    let udpChecksum: UInt16

    /// The virtio-net header to deliver with every output frame.
    public let segmentHeader: VirtioNetHeader
    /// How many frames `next(into:)` will produce in total.
    public let segmentCount: Int
    /// The largest output frame: an output buffer of this size always suffices.
    public let maximumSegmentLength: Int

    var cursor: Int
    public private(set) var producedCount = 0

    public var isFinished: Bool { producedCount == segmentCount }

    /// Checks the frame's headers against the request and prepares the cut. `frame` is the
    /// Ethernet frame without the virtio-net header.
    public static func start(frame: UnsafeRawBufferPointer,
                             request: SegmentationRequest) -> Result<SoftwareSegmenter, OffloadDropReason> {
        guard request.segmentSize > 0 else { return .failure(.gsoSizeZero) }
        let layout: FrameLayout
        switch FrameLayout.parse(frame, gsoType: request.gsoType) {
        case .success(let parsed): layout = parsed
        case .failure(let reason): return .failure(reason)
        }
        guard let base = frame.baseAddress else { return .failure(.truncatedHeaders) }
        let ipPayloadLength = frame.count - layout.networkOffset - (layout.isIPv6 ? 40 : 0)
        guard ipPayloadLength <= 0xFFFF else { return .failure(.oversizedDatagram) }
        switch request.kind {
        case .tcp:
            return .success(SoftwareSegmenter(tcp: UnsafeRawPointer(base), length: frame.count, layout: layout,
                                              segmentSize: request.segmentSize, mode: request.checksumMode))
        case .udpFragments:
            return startFragments(UnsafeRawPointer(base), length: frame.count, layout: layout,
                                  segmentSize: request.segmentSize)
        }
    }

    init(source: UnsafeRawPointer, length: Int, layout: FrameLayout, kind: SegmentationKind,
         checksumMode: SegmentChecksumMode, copiedHeaderLength: Int, chunkSize: Int, sequence: UInt32,
         identification: UInt16, udpChecksum: UInt16, segmentHeader: VirtioNetHeader) {
        self.source = source
        self.sourceLength = length
        self.layout = layout
        self.kind = kind
        self.checksumMode = checksumMode
        self.copiedHeaderLength = copiedHeaderLength
        self.chunkSize = chunkSize
        self.firstSequenceNumber = sequence
        self.firstIdentification = identification
        self.udpChecksum = udpChecksum
        self.segmentHeader = segmentHeader
        let payload = length - copiedHeaderLength
        // A GSO frame with no payload still goes out, as one frame.
        self.segmentCount = max(1, (payload + chunkSize - 1) / chunkSize)
        self.maximumSegmentLength = copiedHeaderLength + min(chunkSize, payload)
        self.cursor = copiedHeaderLength
    }

    /// Writes the next output frame to the start of `output` and returns its length; nil when all
    /// frames were produced, or if `output` is shorter than this frame (nothing is consumed then;
    /// a buffer of `maximumSegmentLength` bytes never is).
    public mutating func next(into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard producedCount < segmentCount, let out = output.baseAddress else { return nil }
        let length = min(chunkSize, sourceLength - cursor)
        let frameLength = copiedHeaderLength + length
        guard frameLength <= output.count else { return nil }
        out.copyMemory(from: source, byteCount: copiedHeaderLength)
        (out + copiedHeaderLength).copyMemory(from: source + cursor, byteCount: length)
        let isLast = cursor + length == sourceLength
        switch kind {
        case .tcp:
            finishTCPSegment(out, frameLength: frameLength, payloadOffset: cursor - copiedHeaderLength, isLast: isLast)
        case .udpFragments:
            finishFragment(out, frameLength: frameLength, fragmentOffset: cursor - copiedHeaderLength, isLast: isLast)
        }
        cursor += length
        producedCount += 1
        return frameLength
    }
}
