import LinuxIO
import Logging
import SwitchCore
import Uplink
import Virtio

/// An uplink port: the AF_PACKET socket on a host interface (Uplink) and its link, as one more
/// port of the engine. Its pull reads a TPACKET_V3 block, its push stages a frame for sendmmsg.
final class UplinkPort: SwitchPort {
    let index: UInt16
    /// Replaced by a reload in place (`Engine.updatePort`); read for names and logs only.
    var spec: PortSpecification
    unowned let engine: Engine
    let link: UplinkLink
    /// The registered socket fd, to unregister it when the link replaces the socket.
    private var registeredSocket: Int32 = -1

    /// What the kernel may hand us with PACKET_VNET_HDR (GRO'd frames, partial checksums): the
    /// HOST_* side of a virtio sender, so the offload plan validates them like a guest's.
    static let senderFeatures: VirtioFeatures = [.csum, .hostTSO4, .hostTSO6, .hostECN, .hostUFO]
    /// What the kernel takes: it checksums and segments anything the virtio-net header asks for.
    static let receiverFeatures: VirtioFeatures = [.guestCsum, .guestTSO4, .guestTSO6, .guestECN, .guestUFO]

    init(index: UInt16, spec: PortSpecification, interface: String, engine: Engine) throws {
        self.index = index
        self.spec = spec
        self.engine = engine
        link = try UplinkLink(interface: interface)
        try engine.epoll.add(link.eventFileDescriptor, token: EventToken(.link, port: index).rawValue)
        applyLinkChanges([.state, .socket])
    }

    var state: PortOperationalState { PortOperationalState(link.state) }
    var socket: UplinkSocket? { link.state.isUp ? link.socket : nil }

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {
        switch event.kind {
        case .link:
            applyLinkChanges(link.handleEvents())
        case .uplinkRx:
            // Readiness only wakes the engine; the ring is polled every turn. An error (the
            // interface went down under us) is picked up by the link's own notification.
            if ready.contains(.error) { _ = link.socket?.clearPendingError() }
        default:
            break
        }
    }

    /// What the socket had counted at the last housekeeping, to move only the increase into the
    /// port's drop counters.
    private var reported = UplinkCounters()

    func housekeeping(now: UInt32, engine: Engine) {
        if !link.state.isUp { applyLinkChanges(link.refresh()) }
        reportSocketDrops()
    }

    /// Frames lost below the engine also count under a reason: the kernel dropped them because
    /// our receive ring was full (`rx-ring-full`), they did not fit a ring frame (`oversize`), or
    /// the kernel refused them at send time (`tx-error`).
    private func reportSocketDrops() {
        guard let socket = link.socket else { return }
        socket.collectKernelStatistics()
        let now = socket.counters
        let bridge = engine.bridge
        if now.kernelDrops > reported.kernelDrops {
            bridge.recordReceiveDrop(port: index, reason: .rxRingFull, frames: now.kernelDrops - reported.kernelDrops)
        }
        if now.receiveTruncated > reported.receiveTruncated {
            bridge.recordReceiveDrop(port: index, reason: .oversize, frames: now.receiveTruncated - reported.receiveTruncated)
        }
        // Staged frames were counted as transmitted when `deliverToUplink` queued them; the ones
        // the kernel then refused at flush move to `tx-error` instead of being counted twice.
        if now.transmitDropped > reported.transmitDropped {
            bridge.recordTransmitLost(port: index, reason: .txError, frames: now.transmitDropped - reported.transmitDropped,
                                    bytes: now.transmitDroppedBytes &- reported.transmitDroppedBytes)
        }
        reported = now
    }

    private func applyLinkChanges(_ changes: UplinkLink.Changes) {
        if changes.contains(.socket) {
            if registeredSocket >= 0 { engine.epoll.remove(registeredSocket) }
            registeredSocket = -1
            reported = link.socket?.counters ?? UplinkCounters()
            if let s = link.socket {
                do {
                    try engine.epoll.add(s.fileDescriptor, token: EventToken(.uplinkRx, port: index).rawValue)
                    registeredSocket = s.fileDescriptor
                } catch {
                    engine.logger.error("uplink \(spec.name): cannot watch its socket: \(error)")
                }
            }
        }
        if !changes.isEmpty {
            _ = engine.bridge.setPortUp(index, link.state.isUp)
            engine.rebuildPollList()
            let why = link.reason.map { " (\($0))" } ?? ""
            engine.logger.info("uplink \(spec.name) on \(link.interfaceName): \(link.state)\(why)")
        }
    }

    func close(engine: Engine) {
        if registeredSocket >= 0 { engine.epoll.remove(registeredSocket) }
        engine.epoll.remove(link.eventFileDescriptor)
        registeredSocket = -1
        link.close()
    }

    // MARK: Poll loop

    /// One burst source: the receive ring (polled only while the link is up, `socket`).
    func pollSlots(owner: PortKind) -> [PollSlot] { [PollSlot(port: owner)] }

    /// The ring is polled every turn; sleeping is safe only when no block is waiting.
    func armForSleep(_ slot: PollSlot) -> Bool { socket?.hasPendingFrames == true }

    func disarmAfterSleep(_ slot: PollSlot) {}

    /// End of the turn: one sendmmsg for everything staged.
    func flush() {
        if let socket = link.socket, socket.pendingTransmits > 0 { socket.flush() }
    }

    func describe(into runtime: inout PortRuntime) {
        runtime.reason = link.reason
        runtime.mtu = link.mtu
    }
}
