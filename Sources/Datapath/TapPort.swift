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
/// The operations are those of every port kind (PortKind.swift): a burst (`Engine.pollTap`, a `DeviceBurst`), delivery
/// of one frame with its tag edit and offload header (`Engine.deliverToTap`), flush (nothing:
/// every write is done when it returns), arm for sleep (nothing: its fd sits in the engine's
/// epoll, level-triggered), its fd events, housekeeping, close.
final class TapPort: SwitchPort {
    let index: UInt16
    /// Replaced by a reload in place (`Engine.updatePort`); read for names and logs only (a
    /// changed MTU re-creates the port: the device is created with it).
    var spec: PortSpecification
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

    var state: PortOperationalState {
        guard let device else { return .detached }
        return device.isDown ? .linkDown : .up
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
        _ = engine.bridge.setPortUp(index, true)
        engine.rebuildPollList()
        engine.logger.info("tap \(spec.name) on \(interfaceName): up (\(opened.created ? "created" : "existing") device)")
    }

    /// The device went away under us (deleted): stop polling it; housekeeping reopens it.
    private func detach(because why: String) {
        guard let device else { return }
        reportDeviceDrops(device)
        engine.epoll.remove(device.fileDescriptor)
        self.device = nil
        detachReason = why
        _ = engine.bridge.setPortUp(index, false)
        engine.rebuildPollList()
        engine.logger.warning("tap \(spec.name) on \(interfaceName): detached (\(why))")
    }

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {
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

    func housekeeping(now: UInt32, engine: Engine) {
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
        let bridge = engine.bridge
        if now.receiveMalformed > reported.receiveMalformed {
            bridge.recordReceiveDrop(port: index, reason: .runt, frames: now.receiveMalformed - reported.receiveMalformed)
        }
        if now.receiveTruncated > reported.receiveTruncated {
            bridge.recordReceiveDrop(port: index, reason: .oversize, frames: now.receiveTruncated - reported.receiveTruncated)
        }
        reported = now
    }

    /// Closes the fd: a device the switch created goes away with it.
    func close(engine: Engine) {
        guard let device else { return }
        engine.epoll.remove(device.fileDescriptor)
        self.device = nil
        detachReason = "closed"
    }

    /// Polled while its device is attached.
    func pollSlots(owner: PortKind) -> [PollSlot] { device == nil ? [] : [PollSlot(port: owner)] }

    /// Level-triggered in the engine's epoll: a frame waiting wakes it, nothing to arm.
    func armForSleep(_ slot: PollSlot) -> Bool { false }

    func disarmAfterSleep(_ slot: PollSlot) {}

    func describe(into runtime: inout PortRuntime) {
        runtime.reason = reason
    }
}

extension Engine {
    /// One burst from a tap port's device. After a read found nothing, 16 turns pass (or an epoll
    /// event ends the wait) before the next: a read per turn from an idle tap would tax every other
    /// port's turn with a syscall.
    @inline(__always)
    func pollTap(_ tap: TapPort, now: UInt32) -> Int {
        guard let device = tap.device else { return 0 }
        if tap.idleTurns > 0 {
            tap.idleTurns &-= 1
            return 0
        }
        var burst = DeviceBurst(device: device,
                                source: FrameSource(index: tap.index, skip: 0, features: TapPort.senderFeatures))
        let n = forwardBurst(&burst, now: now)
        if n == 0 { tap.idleTurns = TapPort.turnsBetweenIdleReads }
        return n
    }
}

extension Engine {
    /// Writes one frame to a tap port (Engine+DeviceDelivery.swift). Out of line: a writev per
    /// frame dwarfs the call, and inlined it grew the hot loop every other kind runs through.
    @inline(never)
    func deliverToTap<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>, header: FrameHeader,
                                            l2: UnsafeRawPointer, netHeader: VirtioNetHeader,
                                            from source: FrameSource, to tap: TapPort, decision: ForwardingDecision) {
        let destination = tap.index
        guard let device = tap.device else {
            record(.dropped(.portDown), port: destination)
            return
        }
        let outcome = deliverToDevice(segments, header: header, l2: l2, netHeader: netHeader, from: source,
                                      to: device, port: destination, accepting: TapPort.receiverFeatures,
                                      decision: decision)
        // Refused while the device is down (the host side's state, not a fault): port-down.
        if case .dropped(.txError) = outcome, device.isDown {
            record(.dropped(.portDown), port: destination)
        } else {
            record(outcome, port: destination)
        }
    }
}
