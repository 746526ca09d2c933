import GuestMemory
import Offload
import SwitchCore
import Virtio

/// Frames whose virtio-net header asks for something (a partial checksum, segmentation): passed
/// through whole when the receiver negotiated the same offload, finished in software otherwise,
/// so a receiver never gets a frame it cannot take (docs/vhost-user-protocol.md#offload-fallbacks).
extension Engine {
    @inline(never)
    func deliverOffloaded<Queue: EngineVirtqueue, Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, header: FrameHeader, l2: UnsafeRawPointer, netHeader: VirtioNetHeader,
        from source: FrameSource, to: GuestDestination, rx: Queue, edit: TagEdit
    ) {
        let target = to.port
        let destination = target.index
        let frameLength = Int(header.length)
        let policy = OffloadPolicy(sender: source.features, receiver: target.features)
        switch policy.plan(for: netHeader, frameLength: frameLength) {
        case .deliver(let translated):
            let h = translated.movingOffsets(by: edit.lengthChange)
            let outLength = frameLength &+ edit.lengthChange
            guard h.gsoType != VirtioNetHeader.gsoNone
                || Engine.fits(length: outLength, maximumFrameLength: target.maximumFrameLength,
                               leavesTagged: edit.egressTagged) else {
                record(.dropped(.mtuExceeded), port: destination)
                return
            }
            let reservation = rx.reserve(bytes: target.headerLength &+ outLength, mergeable: target.mergeable)
            if case .reserved = reservation {
                copyFrame(segments, skipping: source.skip, header: header, l2: l2, edit: edit, netHeader: h,
                          into: rx, headerLength: target.headerLength)
                rx.commitReservation()
            }
            if record(DeliveryOutcome(reservation, bytes: outLength), port: destination) { markDirty(to, rx) }
        case .completeChecksum(let start, let offset):
            guard let frame = gatherCompletingChecksum(segments, from: source, header: header, l2: l2, edit: edit,
                                                       start: start, offset: offset, destination: destination)
            else { return }
            deliverContiguous(UnsafeRawBufferPointer(frame), netHeader: VirtioNetHeader(), to: to, rx: rx,
                              tagged: edit.egressTagged)
        case .segment(let request):
            if var segmenter = startSegmentation(segments, from: source, header: header, l2: l2, edit: edit,
                                                 request: request, destination: destination) {
                guard Engine.fits(length: segmenter.maximumSegmentLength, maximumFrameLength: target.maximumFrameLength,
                                  leavesTagged: edit.egressTagged) else {
                    bridge.recordTransmitDrop(port: destination, reason: .mtuExceeded)
                    return
                }
                let out = scratch.offloadSegment
                // The first segment that finds no room (counted once, as rx-ring-full) ends the
                // frame: the rest would find none either, and TCP resends the whole range anyway.
                while let n = segmenter.next(into: out) {
                    guard deliverContiguous(UnsafeRawBufferPointer(rebasing: out[0..<n]),
                                            netHeader: segmenter.segmentHeader, to: to, rx: rx,
                                            tagged: edit.egressTagged) else { break }
                }
            }
        case .drop(let why):
            bridge.recordTransmitDrop(port: destination, reason: why.isMalformed ? .malformedDescriptor : .unsupportedOffload)
        }
    }

    /// The whole frame gathered (`gather`) with its partial checksum completed, for a receiver that
    /// cannot take one (a guest without CSUM, a tunnel); nil with the drop counted on `destination`.
    func gatherCompletingChecksum<Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, from source: FrameSource, header: FrameHeader, l2: UnsafeRawPointer,
        edit: TagEdit, start: Int, offset: Int, destination: UInt16
    ) -> UnsafeMutableRawBufferPointer? {
        guard let frame = gather(segments, skipping: source.skip, header: header, l2: l2, edit: edit) else {
            bridge.recordTransmitDrop(port: destination, reason: .oversize)
            return nil
        }
        guard Checksum.completePartialChecksum(frame: frame, checksumStart: start &+ edit.lengthChange,
                                               checksumOffset: offset) else {
            bridge.recordTransmitDrop(port: destination, reason: .malformedDescriptor)
            return nil
        }
        return frame
    }

    /// Software segmentation's first steps for a receiver that cannot take a GSO frame (a guest
    /// without TSO/UFO, a tunnel): the sender's limits (docs/limits.md: gso_size 1 on a 64 KiB
    /// frame would otherwise be ~65 000 frames of work for one descriptor chain), the frame
    /// gathered, the segmenter started. Nil with the drop counted on `destination`; the caller
    /// checks the largest segment against its MTU and emits the segments.
    func startSegmentation<Segment: ByteSegment>(
        _ segments: UnsafeBufferPointer<Segment>, from source: FrameSource, header: FrameHeader, l2: UnsafeRawPointer,
        edit: TagEdit, request: SegmentationRequest, destination: UInt16
    ) -> SoftwareSegmenter? {
        let limits = limits(ofSender: source.index)
        guard request.segmentSize >= limits.minMSS else {
            bridge.recordTransmitDrop(port: destination, reason: .gsoTooSmall)
            return nil
        }
        guard let frame = gather(segments, skipping: source.skip, header: header, l2: l2, edit: edit) else {
            bridge.recordTransmitDrop(port: destination, reason: .oversize)
            return nil
        }
        switch SoftwareSegmenter.start(frame: UnsafeRawBufferPointer(frame), request: request) {
        case .failure(let why):
            bridge.recordTransmitDrop(port: destination, reason: why.isMalformed ? .malformedDescriptor : .unsupportedOffload)
            return nil
        case .success(let segmenter):
            guard segmenter.segmentCount <= limits.maxSegments else {
                bridge.recordTransmitDrop(port: destination, reason: .tooManySegments)
                return nil
            }
            return segmenter
        }
    }

    /// The whole frame, re-tagged, in the engine's contiguous offload scratch; its L2 header from
    /// the private copy `l2` (docs/vlan-safety.md).
    func gather<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>, skipping skip: Int,
                                              header: FrameHeader, l2: UnsafeRawPointer,
                                              edit: TagEdit) -> UnsafeMutableRawBufferPointer? {
        let buffer = scratch.offloadFrame
        guard let base = buffer.baseAddress else { return nil }
        let outLength = Int(header.length) &+ edit.lengthChange
        guard outLength <= buffer.count else { return nil }
        var written: Int
        if edit.changesFrame {
            written = Engine.writePrefix(header, l2: l2, edit: edit, to: base)
        } else {
            written = header.l2Length
            base.copyMemory(from: l2, byteCount: written)
        }
        guard outLength >= written else { return nil }
        written &+= segments.gather(offset: skip &+ header.l2Length, count: outLength &- written, into: base + written)
        guard written == outLength else { return nil }
        return UnsafeMutableRawBufferPointer(start: base, count: outLength)
    }

    /// Delivers a frame that lives in our own memory (software-offload output).
    /// Returns false when it was dropped (and counted).
    @discardableResult
    func deliverContiguous<Queue: EngineVirtqueue>(_ frame: UnsafeRawBufferPointer, netHeader: VirtioNetHeader,
                                             to: GuestDestination, rx: Queue, tagged: Bool) -> Bool {
        let target = to.port
        guard netHeader.gsoType != VirtioNetHeader.gsoNone
            || Engine.fits(length: frame.count, maximumFrameLength: target.maximumFrameLength, leavesTagged: tagged) else {
            return record(.dropped(.mtuExceeded), port: target.index)
        }
        let reservation = rx.reserve(bytes: target.headerLength &+ frame.count, mergeable: target.mergeable)
        if case .reserved = reservation {
            rx.writeFrame(header: netHeader, headerLength: target.headerLength, frame: frame)
            rx.commitReservation()
        }
        guard record(DeliveryOutcome(reservation, bytes: frame.count), port: target.index) else { return false }
        markDirty(to, rx)
        return true
    }
}
