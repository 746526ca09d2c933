import GuestMemory
import LinuxIO
import Offload
import SwitchCore
import Uplink
import Virtio

/// A tap port: a Linux TAP device (Uplink's `TapDevice`) as one more port of the engine, so the
/// host's own stack, a container (the device moved into its namespace) or, through a bridge on its
/// host side, a plain QEMU `-netdev tap` guest joins the switch (docs/tap-ports.md). Its poll reads a burst of frames,
/// one read(2) each; its delivery writes one frame with writev(2). Frames carry a virtio-net
/// header both ways, so offloads cross like the uplink's.
///
/// The operations are those of every port kind: poll a burst (`Engine.forwardTapBurst`), deliver
/// one frame with its tag edit and offload header (`Engine.deliverToTap`), flush (nothing: every
/// write is done when it returns), arm for sleep (nothing: its fd sits in the engine's epoll,
/// level-triggered), handle its fd events, housekeeping, close.
final class TapPort {
    let index: UInt16
    let spec: PortSpecification
    let interfaceName: String
    unowned let engine: Engine
    private(set) var device: TapDevice?
    /// Why the device is not attached (nil while it is).
    private var detachReason: String?
    /// Turns left before the next read: after a read found nothing, polling every turn would add
    /// a syscall to every turn of the loop and tax the other ports; an epoll event ends the wait.
    var idleTurns = 0
    static let turnsBetweenIdleReads = 16

    /// What the host stack may hand us with IFF_VNET_HDR and TUNSETOFFLOAD (partial checksums,
    /// TSO super-frames): the HOST_* side of a virtio sender, so the offload plan validates them
    /// like a guest's (docs/tap-ports.md).
    static let senderFeatures: VirtioFeatures = [.csum, .hostTSO4, .hostTSO6, .hostECN]
    /// What the kernel takes on write: it checksums and segments anything the header asks for.
    static let receiverFeatures: VirtioFeatures = [.guestCsum, .guestTSO4, .guestTSO6, .guestECN, .guestUFO]

    init(index: UInt16, spec: PortSpecification, interface: String, engine: Engine) throws {
        self.index = index
        self.spec = spec
        self.interfaceName = interface
        self.engine = engine
        try attach()
    }

    var state: String {
        guard let device else { return "detached" }
        return device.isDown ? "link-down" : "up"
    }

    /// Why the port is not up, for `yardctl` (nil when up).
    var reason: String? {
        if device?.isDown == true { return "\(interfaceName) is administratively down" }
        return detachReason
    }

    /// Opens (or creates) the device and makes the port forward. Throws when it cannot.
    private func attach() throws {
        let opened = try TapDevice(interface: interfaceName, mtu: spec.mtu)
        try engine.epoll.add(opened.fileDescriptor, token: EventToken(.tapRx, port: index).rawValue)
        device = opened
        detachReason = nil
        reported = TapDevice.Counters()
        idleTurns = 0
        engine.taps.insert(self)
        _ = engine.core.setPortUp(index, true)
        engine.logger.info("tap \(spec.name) on \(interfaceName): up (\(opened.created ? "created" : "existing") device)")
    }

    /// The device went away under us (deleted): stop polling it; housekeeping reopens it.
    private func detach(because why: String) {
        guard let device else { return }
        reportDeviceDrops(device)
        engine.epoll.remove(device.fileDescriptor)
        engine.taps.remove(self)
        self.device = nil
        detachReason = why
        _ = engine.core.setPortUp(index, false)
        engine.logger.warning("tap \(spec.name) on \(interfaceName): detached (\(why))")
    }

    func handle(event: EventToken, ready: Epoll.Events) {
        guard event.kind == .tapRx, let device else { return }
        idleTurns = 0
        // A tun fd reports EPOLLERR only once the kernel detached it (the device was deleted);
        // level-triggered, it would wake the loop forever, so stop watching it now.
        if ready.contains(.error) || !device.isAttached {
            detach(because: device.lastError ?? "the device was deleted")
        }
    }

    /// What the device had counted at the last housekeeping, to move only the increase into the
    /// port's drop counters.
    private var reported = TapDevice.Counters()

    func housekeeping() {
        guard let device else {
            do { try attach() } catch { detachReason = "\(error)" }
            return
        }
        if !device.isAttached {
            detach(because: device.lastError ?? "device gone")
            return
        }
        reportDeviceDrops(device)
    }

    /// Frames lost in the device's reads also count under a reason: shorter than an Ethernet
    /// header (`runt`), or filling a whole slot and so possibly cut short (`oversize`).
    private func reportDeviceDrops(_ device: TapDevice) {
        let now = device.counters
        let core = engine.core
        if now.receiveMalformed > reported.receiveMalformed {
            core.recordReceiveDrop(port: index, reason: .runt, frames: now.receiveMalformed - reported.receiveMalformed)
        }
        if now.receiveTruncated > reported.receiveTruncated {
            core.recordReceiveDrop(port: index, reason: .oversize, frames: now.receiveTruncated - reported.receiveTruncated)
        }
        reported = now
    }

    /// Closes the fd: a device the switch created goes away with it.
    func close() {
        guard let device else { return }
        engine.epoll.remove(device.fileDescriptor)
        engine.taps.remove(self)
        self.device = nil
        detachReason = "closed"
    }
}

/// The tap ports by port number (for delivery) and as a list (for the poll loop). Unmanaged and
/// behind `let` pointers, like the engine's other port tables: the loop takes no reference
/// counts and no exclusivity checks. `EnginePort` owns the ports; an entry goes before its port.
final class TapPortTable {
    let byIndex: UnsafeMutablePointer<Unmanaged<TapPort>?>
    let list: UnsafeMutablePointer<Unmanaged<TapPort>>
    let count: UnsafeMutablePointer<Int>

    init(capacity: Int) {
        byIndex = .allocate(capacity: capacity)
        byIndex.initialize(repeating: nil, count: capacity)
        list = .allocate(capacity: capacity)
        count = .allocate(capacity: 1)
        count.initialize(to: 0)
    }

    deinit {
        byIndex.deallocate()
        list.deallocate()
        count.deallocate()
    }

    func insert(_ port: TapPort) {
        remove(port)
        byIndex[Int(port.index)] = Unmanaged.passUnretained(port)
        list[count.pointee] = Unmanaged.passUnretained(port)
        count.pointee &+= 1
    }

    func remove(_ port: TapPort) {
        byIndex[Int(port.index)] = nil
        let n = count.pointee
        for i in 0..<n where list[i].toOpaque() == Unmanaged.passUnretained(port).toOpaque() {
            list[i] = list[n &- 1]
            count.pointee = n &- 1
            return
        }
    }
}

extension Engine {
    /// One burst from each tap port that may have frames; returns the frames moved.
    func pollTaps(now: UInt32) -> Int {
        var moved = 0
        for i in 0..<taps.count.pointee {
            unowned(unsafe) let port = taps.list[i].takeUnretainedValue()
            if port.idleTurns > 0 {
                port.idleTurns &-= 1
                continue
            }
            guard let device = port.device else { continue }
            let n = forwardTapBurst(from: device, of: port, now: now)
            if n == 0 { port.idleTurns = TapPort.turnsBetweenIdleReads }
            moved &+= n
        }
        return moved
    }

    private func forwardTapBurst(from device: TapDevice, of port: TapPort, now: UInt32) -> Int {
        let n = device.receiveBurst(max: BurstScratch.burstSize)
        guard n > 0 else { return 0 }
        let s = scratch
        for i in 0..<n {
            let frame = device.frame(i)
            // The frame sits in the device's own read buffer, which nothing else writes until the
            // next burst: it serves as the private copy of the L2 header (docs/vlan-safety.md).
            let first = frame.segments[0]
            var h = FrameHeader.parse(UnsafeRawPointer(first.base), length: first.length)
            h.length = UInt32(truncatingIfNeeded: frame.length)
            s.headers[i] = h
            s.netHeaders[i] = frame.vnetHeader
        }
        core.decide(ingress: port.index, frames: s.headers, count: n, into: s.decisions, now: now)
        let from = FrameSource(index: port.index, skip: 0, features: TapPort.senderFeatures)
        for i in 0..<n {
            let segments = device.frame(i).segments
            forward(segments, header: s.headers + i, l2: UnsafeRawPointer(segments[0].base), netHeader: s.netHeaders + i,
                    from: from, pair: 0, decision: s.decisions + i)
        }
        return n
    }

    /// Writes one frame to a tap port, its virtio-net header with it: the kernel segments GSO
    /// frames and finishes checksums for the host stack, as for the uplink.
    func deliverToTap(_ segments: UnsafeBufferPointer<GuestSegment>, header: FrameHeader, l2: UnsafeRawPointer,
                      netHeader: VirtioNetHeader, from source: FrameSource, to tap: TapPort,
                      decision: ForwardingDecision) {
        let destination = tap.index
        guard let device = tap.device else {
            core.recordTransmitDrop(port: destination, reason: .portDown)
            return
        }
        let egress = core.egressTag(port: destination, vlan: decision.vlan)
        let edit = TagEdit(sourceTagged: header.isTagged, egressTagged: egress.tagged, tci: decision.egressTCI)
        var vnet = VirtioNetHeader()
        if netHeader.flags != 0 || netHeader.gsoType != 0 {
            let policy = OffloadPolicy(sender: source.features, receiver: TapPort.receiverFeatures)
            guard case .deliver(let h) = policy.plan(for: netHeader, frameLength: Int(header.length)) else {
                core.recordTransmitDrop(port: destination, reason: .malformedDescriptor)
                return
            }
            vnet = h.movingOffsets(by: edit.lengthChange)
        }
        // The L2 header from the private copy, the rest from the sender (docs/vlan-safety.md).
        let prefix: UnsafeRawBufferPointer
        if edit.changesFrame {
            let p = scratch.prefix
            prefix = UnsafeRawBufferPointer(start: p, count: Engine.writePrefix(header, l2: l2, edit: edit, to: p))
        } else {
            prefix = UnsafeRawBufferPointer(start: l2, count: header.l2Length)
        }
        switch device.transmit(prefix: prefix, segments: segments, skipping: source.skip &+ header.l2Length,
                               vnetHeader: vnet) {
        case .queued:
            core.recordTransmit(port: destination, frames: 1, bytes: UInt64(Int(header.length) &+ edit.lengthChange))
        case .ringFull:
            core.recordTransmitDrop(port: destination, reason: .rxRingFull)
        case .mtuExceeded:
            core.recordTransmitDrop(port: destination, reason: .mtuExceeded)
        case .rejected:
            // Refused while the device is down (the host side's state, not a fault): port-down.
            core.recordTransmitDrop(port: destination, reason: device.isDown ? .portDown : .txError)
        }
    }
}
