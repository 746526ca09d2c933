import GuestMemory
import LinuxIO
import Offload
import SwitchCore
import Uplink
import Virtio

/// A native vxlan port (docs/vxlan-ports.md): one VNI carried as one access VLAN across an IPv4
/// underlay through Uplink's `VxlanTunnel` (a bound UDP socket in, a raw socket out). Frames
/// leave encapsulated to the VTEP their destination MAC was last seen behind, or head-end
/// replicated to every address of the flood list; frames arrive decapsulated and untagged.
///
/// The operations are those of every port kind (PortKind.swift): a burst (`Engine.pollVxlan`, a
/// `VxlanBurst`), delivery (`Engine.deliverToVxlan`: staged), flush (one sendmmsg per turn), no
/// arming (its UDP fd sits in the engine's epoll, level-triggered), events, housekeeping, close.
final class VxlanPort: SwitchPort {
    let index: UInt16
    var spec: PortSpecification
    let settings: VxlanSettings
    unowned let engine: Engine
    let tunnel: VxlanTunnel
    /// One destination for known unicast, without a closure or an array per frame.
    let unicastDestination: UnsafeMutablePointer<UInt32>
    /// Turns left before the next read (as a tap port: an idle socket costs no syscall per turn).
    var idleTurns = 0
    static let turnsBetweenIdleReads = 16
    /// The tunnel's counters at the last move into the port's drop counters.
    private var reported = VxlanTunnel.Counters()
    /// The type-2 routes last applied by an EVPN control plane (`applyVxlanControlPlane`).
    var routes: [MACAddress: UInt32] = [:]

    init(index: UInt16, spec: PortSpecification, settings: VxlanSettings, engine: Engine) throws {
        guard let local = VxlanSettings.address(settings.local) else {
            throw UplinkError("vxlan", reason: "local '\(settings.local)' is not an IPv4 address")
        }
        var remotes: [UInt32] = []
        for text in settings.remotes {
            guard let a = VxlanSettings.address(text) else {
                throw UplinkError("vxlan", reason: "remote '\(text)' is not an IPv4 address")
            }
            if !remotes.contains(a) { remotes.append(a) }
        }
        self.index = index
        self.spec = spec
        self.settings = settings
        self.engine = engine
        tunnel = try VxlanTunnel(vni: settings.vni, local: local, port: settings.udpPort, remotes: remotes,
                                 underlayMTU: settings.underlayMTU, innerMTU: spec.mtu,
                                 learnRemotes: settings.learnRemotes)
        unicastDestination = .allocate(capacity: 1)
        try engine.epoll.add(tunnel.fileDescriptor, token: EventToken(.vxlanRx, port: index).rawValue)
        _ = engine.bridge.setPortUp(index, true)
        engine.logger.info("vxlan \(spec.name): VNI \(settings.vni) on \(settings.local):\(settings.udpPort), flood list \(settings.remotes)")
    }

    deinit { unicastDestination.deallocate() }

    var state: PortOperationalState { .up }

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {
        if event.kind == .vxlanRx { idleTurns = 0 }
    }

    func housekeeping(now: UInt32, engine: Engine) {
        tunnel.readSocketOverflow()
        reportTunnelCounters()
    }

    /// Moves what the tunnel refused since the last call into the port's drop counters: each
    /// decapsulation check under its reason, refused sends as tx-error.
    func reportTunnelCounters() {
        let now = tunnel.counters
        guard now != reported else { return }
        let bridge = engine.bridge
        // One call per reason, no array: a hostile underlay makes this run once per burst.
        func move(_ n: UInt64, _ was: UInt64, _ reason: DropReason) {
            if n > was { bridge.recordReceiveDrop(port: index, reason: reason, frames: n &- was) }
        }
        move(now.headerTruncated, reported.headerTruncated, .vxlanTruncated)
        move(now.badFlags, reported.badFlags, .vxlanFlags)
        move(now.wrongVNI, reported.wrongVNI, .vxlanWrongVNI)
        move(now.innerRunt, reported.innerRunt, .vxlanInnerRunt)
        move(now.innerTooLong, reported.innerTooLong, .vxlanInnerTooLong)
        move(now.remoteNotAllowed, reported.remoteNotAllowed, .vxlanRemoteNotAllowed)
        move(now.socketOverflow, reported.socketOverflow, .vxlanSocketOverflow)
        if now.transmitErrors > reported.transmitErrors {
            bridge.recordTransmitLost(port: index, reason: .txError, frames: now.transmitErrors &- reported.transmitErrors,
                                      bytes: now.transmitErrorBytes &- reported.transmitErrorBytes)
        }
        reported = now
    }

    func close(engine: Engine) {
        engine.epoll.remove(tunnel.fileDescriptor)
        tunnel.close()
    }

    func pollSlots(owner: PortKind) -> [PollSlot] { [PollSlot(port: owner)] }

    /// Level-triggered in the engine's epoll: a datagram waiting wakes it.
    func armForSleep(_ slot: PollSlot) -> Bool { false }

    func disarmAfterSleep(_ slot: PollSlot) {}

    /// End of the turn: one sendmmsg for every staged datagram.
    func flush() {
        if tunnel.pendingDatagrams > 0 { tunnel.flush() }
        if tunnel.counters.transmitErrors != reported.transmitErrors { reportTunnelCounters() }
    }

    func describe(into runtime: inout PortRuntime) {
        runtime.reason = tunnel.lastError
    }

    /// The VTEP each remote MAC was last seen behind, for `yardctl fdb show` (cold).
    func remoteEntries(now: UInt32) -> [VxlanRemote] {
        tunnel.remotes.entries(now: now, maxAge: engine.bridge.fdb.agingTime).map {
            VxlanRemote(port: index, mac: MACAddress(rawValue: $0.mac), vtep: VxlanTunnel.format($0.address))
        }
    }
}

/// One learned remote MAC of a vxlan port and the VTEP it is behind.
public struct VxlanRemote: Equatable, Sendable {
    public let port: UInt16
    public let mac: MACAddress
    /// Dotted-quad IPv4.
    public let vtep: String
}

/// A burst of decapsulated frames from a vxlan port's UDP socket. The frames are in the
/// tunnel's own receive slots, so each parses in place and is its own private L2 copy
/// (docs/vlan-safety.md), as a tap's.
struct VxlanBurst: FrameBurst {
    unowned(unsafe) let port: VxlanPort
    let source: FrameSource
    let now: UInt32
    /// Where `take` parsed the burst: `complete` reads the core's decisions from it.
    unowned(unsafe) var scratch: BurstScratch?

    var pair: Int { @inline(__always) get { 0 } }

    @inline(__always)
    mutating func take(into s: BurstScratch, engine: Engine) -> BurstCount {
        let tunnel = port.tunnel
        let before = tunnel.counters.receiveDrops
        scratch = s
        let n = tunnel.receiveBurst(max: BurstScratch.burstSize)
        for i in 0..<n { s.parse(received: tunnel.frame(i), at: i) }
        // Refused datagrams are counted now, under their reasons, not at the next housekeeping.
        if tunnel.counters.receiveDrops != before { port.reportTunnelCounters() }
        return BurstCount(taken: n, parsed: n)
    }

    @inline(__always)
    func segments(ofFrame n: Int, scratch: BurstScratch) -> UnsafeBufferPointer<PacketSegment> {
        port.tunnel.frame(n).segments
    }

    @inline(__always)
    func l2(ofFrame n: Int, scratch: BurstScratch) -> UnsafeRawPointer {
        UnsafeRawPointer(port.tunnel.frame(n).segments[0].base)
    }

    /// Learns each accepted frame's VTEP: after `decide`, so a frame the core refused (a tagged
    /// inner frame, a MAC over the limit, a source not allowed) teaches the port nothing.
    @inline(__always)
    func complete(taken: Int) {
        guard let s = scratch else { return }
        let tunnel = port.tunnel
        for i in 0..<taken where s.decisions[i].kind != .drop { tunnel.learnSource(ofFrame: i, now: now) }
    }
}

extension Engine {
    /// One burst from a vxlan port's UDP socket; after an empty read, 16 turns pass (or an epoll
    /// event ends the wait) before the next.
    @inline(never)
    func pollVxlan(_ port: VxlanPort, now: UInt32) -> Int {
        if port.idleTurns > 0 {
            port.idleTurns &-= 1
            return 0
        }
        var burst = VxlanBurst(port: port, source: FrameSource(index: port.index, skip: 0, features: []), now: now)
        let n = forwardBurst(&burst, now: now)
        if n == 0 { port.idleTurns = VxlanPort.turnsBetweenIdleReads }
        return n
    }
}

extension Engine {
    /// Every vxlan port's learned remote MACs with their VTEPs. Engine thread only (call through
    /// `perform`); copies, for `yardctl fdb show` and tests.
    public func vxlanRemotes() -> [VxlanRemote] {
        var out: [VxlanRemote] = []
        let now = clock.now
        for case let port? in ports {
            if case .vxlan(let vxlan) = port.kind { out += vxlan.takeUnretainedValue().remoteEntries(now: now) }
        }
        return out
    }
}
