import GuestMemory
import Offload
import SwitchCore
import Virtio

/// Frames whose virtio-net header asks for something (a partial checksum, segmentation): passed
/// through whole when the receiver negotiated the same offload, finished in software otherwise,
/// so a receiver never gets a frame it cannot take (notes §6.6).
extension Engine {
    @inline(never)
    func deliverOffloaded(_ segments: UnsafeBufferPointer<GuestSegment>, header: FrameHeader, l2: UnsafeRawPointer,
                          netHeader: VirtioNetHeader, from source: FrameSource, to target: VhostPort, rx: SplitQueue,
                          ring: Int, edit: TagEdit) {
        let destination = target.index
        let frameLength = Int(header.length)
        let policy = OffloadPolicy(sender: source.features, receiver: target.features)
        switch policy.plan(for: netHeader, frameLength: frameLength) {
        case .deliver(let translated):
            let h = translated.movingOffsets(by: edit.lengthChange)
            let outLength = frameLength &+ edit.lengthChange
            if h.gsoType == VirtioNetHeader.gsoNone {
                guard outLength <= target.maximumFrameLength &+ (edit.egressTagged ? 4 : 0) else {
                    core.recordTransmitDrop(port: destination, reason: .mtuExceeded)
                    return
                }
            }
            guard reserve(rx, bytes: target.headerLength &+ outLength, for: target) else { return }
            copyFrame(segments, skipping: source.skip, header: header, l2: l2, edit: edit, netHeader: h,
                      into: rx, headerLength: target.headerLength)
            rx.commitReservation()
            core.recordTransmit(port: destination, frames: 1, bytes: UInt64(outLength))
            markDirty(rx, ring: ring, owner: target)
        case .completeChecksum(let start, let offset):
            guard let frame = gather(segments, skipping: source.skip, header: header, l2: l2, edit: edit) else {
                core.recordTransmitDrop(port: destination, reason: .oversize)
                return
            }
            guard Checksum.completePartialChecksum(frame: frame, checksumStart: start &+ edit.lengthChange,
                                                   checksumOffset: offset) else {
                core.recordTransmitDrop(port: destination, reason: .malformedDescriptor)
                return
            }
            deliverContiguous(UnsafeRawBufferPointer(frame), netHeader: VirtioNetHeader(), to: target, rx: rx,
                              ring: ring, tagged: edit.egressTagged)
        case .segment(let request):
            // The sender's limits (docs/limits.md): gso_size 1 on a 64 KiB frame would otherwise
            // be ~65 000 frames of work for one descriptor chain.
            let limits = limits(ofSender: source.index)
            guard request.segmentSize >= limits.minMSS else {
                core.recordTransmitDrop(port: destination, reason: .gsoTooSmall)
                return
            }
            guard let frame = gather(segments, skipping: source.skip, header: header, l2: l2, edit: edit) else {
                core.recordTransmitDrop(port: destination, reason: .oversize)
                return
            }
            switch SoftwareSegmenter.start(frame: UnsafeRawBufferPointer(frame), request: request) {
            case .failure(let why):
                core.recordTransmitDrop(port: destination, reason: why.isMalformed ? .malformedDescriptor : .unsupportedOffload)
            case .success(var segmenter):
                guard segmenter.segmentCount <= limits.maxSegments else {
                    core.recordTransmitDrop(port: destination, reason: .tooManySegments)
                    return
                }
                guard segmenter.maximumSegmentLength <= target.maximumFrameLength &+ (edit.egressTagged ? 4 : 0) else {
                    core.recordTransmitDrop(port: destination, reason: .mtuExceeded)
                    return
                }
                let out = scratch.offloadSegment
                // The first segment that finds no room (counted once, as rx-ring-full) ends the
                // frame: the rest would find none either, and TCP resends the whole range anyway.
                while let n = segmenter.next(into: out) {
                    guard deliverContiguous(UnsafeRawBufferPointer(rebasing: out[0..<n]),
                                            netHeader: segmenter.segmentHeader, to: target, rx: rx, ring: ring,
                                            tagged: edit.egressTagged) else { break }
                }
            }
        case .drop(let why):
            core.recordTransmitDrop(port: destination, reason: why.isMalformed ? .malformedDescriptor : .unsupportedOffload)
        }
    }

    /// The whole frame, re-tagged, in the engine's contiguous offload scratch; its L2 header from
    /// the private copy `l2` (docs/vlan-safety.md).
    private func gather(_ segments: UnsafeBufferPointer<GuestSegment>, skipping skip: Int, header: FrameHeader,
                        l2: UnsafeRawPointer, edit: TagEdit) -> UnsafeMutableRawBufferPointer? {
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
        written &+= GuestSegment.gather(segments, offset: skip &+ header.l2Length, count: outLength &- written,
                                        into: base + written)
        guard written == outLength else { return nil }
        return UnsafeMutableRawBufferPointer(start: base, count: outLength)
    }

    /// Delivers a frame that lives in our own memory (software-offload output, injected frames).
    /// Returns false when it was dropped (and counted).
    @discardableResult
    func deliverContiguous(_ frame: UnsafeRawBufferPointer, netHeader: VirtioNetHeader, to target: VhostPort,
                           rx: SplitQueue, ring: Int, tagged: Bool) -> Bool {
        guard frame.count <= target.maximumFrameLength &+ (tagged ? 4 : 0) || netHeader.gsoType != VirtioNetHeader.gsoNone else {
            core.recordTransmitDrop(port: target.index, reason: .mtuExceeded)
            return false
        }
        guard reserve(rx, bytes: target.headerLength &+ frame.count, for: target) else { return false }
        rx.writeFrame(header: netHeader, headerLength: target.headerLength, frame: frame)
        rx.commitReservation()
        core.recordTransmit(port: target.index, frames: 1, bytes: UInt64(frame.count))
        markDirty(rx, ring: ring, owner: target)
        return true
    }
}
