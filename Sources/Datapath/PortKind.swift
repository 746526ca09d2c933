import LinuxIO

/// What a port of the engine is: one case per concrete kind. The hot path switches on it once
/// per burst (`pollPorts`), once per delivered frame (`deliver`) and once per flushed port
/// (`flushTurn`), and calls the kind's own methods, specialized: no existential, no retain
/// (docs/hot-path.md, "Port table and ring seam"). Everything off the per-frame path goes
/// through `common`, the kind's `SwitchPort` side.
///
/// A new kind: a class conforming to `SwitchPort` (its own file), a case here and in `common`,
/// and a branch in the three hot switches (Engine+Forwarding.swift); `Engine.addPort` builds it.
///
/// Unmanaged payloads: the enum is a tagged pointer, copied into the port table, the poll list
/// and the dirty list without reference counting (a strong payload cost a retain and a release
/// per delivered frame). `EnginePort.object` owns the port.
enum PortKind {
    case vhostUser(Unmanaged<VhostPort>)
    case uplink(Unmanaged<UplinkPort>)
    case tap(Unmanaged<TapPort>)
    case vxlan(Unmanaged<VxlanPort>)

    @inline(__always) init(_ port: VhostPort) { self = .vhostUser(Unmanaged.passUnretained(port)) }
    @inline(__always) init(_ port: UplinkPort) { self = .uplink(Unmanaged.passUnretained(port)) }
    @inline(__always) init(_ port: TapPort) { self = .tap(Unmanaged.passUnretained(port)) }
    @inline(__always) init(_ port: VxlanPort) { self = .vxlan(Unmanaged.passUnretained(port)) }

    /// The kind as a `SwitchPort`, for events, housekeeping, sleep and status (cold paths).
    var common: any SwitchPort {
        switch self {
        case .vhostUser(let port): port.takeUnretainedValue()
        case .uplink(let port): port.takeUnretainedValue()
        case .tap(let port): port.takeUnretainedValue()
        case .vxlan(let port): port.takeUnretainedValue()
        }
    }
}

/// What every port kind provides besides its hot-path methods: events, housekeeping, the poll
/// slots it contributes, sleep arming, faults, status, close. Engine thread only.
protocol SwitchPort: AnyObject {
    var index: UInt16 { get }
    /// For `yardctl ports` and snapshots: running, up, broken (…), …
    var state: PortOperationalState { get }
    func handle(event: EventToken, ready: Epoll.Events, engine: Engine)
    /// Once a second.
    func housekeeping(now: UInt32, engine: Engine)
    func close(engine: Engine)
    /// The bursts this port offers the poll loop now (one per running receive source).
    func pollSlots(owner: PortKind) -> [PollSlot]
    /// Before the engine sleeps: ask for a wake-up on new work; true if work is already there.
    func armForSleep(_ slot: PollSlot) -> Bool
    /// After the engine woke: back to polling without wake-ups.
    func disarmAfterSleep(_ slot: PollSlot)
    /// After a turn in which some port recorded a fault (docs/port-faults.md).
    func applyPendingFault()
    /// Kind-specific facts for `yardctl ports` (features, reason, MTU in force, …).
    func describe(into runtime: inout PortRuntime)
}

extension SwitchPort {
    func applyPendingFault() {}
}

/// One burst source of the poll loop: a port, and for kinds with several receive rings (a
/// vhost-user port's TX rings, by queue pair) which one. Unmanaged: `Engine.ports` owns the port
/// and the port its rings; the list is rebuilt (`Engine.rebuildPollList`) whenever a port or
/// ring comes or goes, between bursts.
struct PollSlot {
    let port: PortKind
    let ring: GuestRing?
    let pair: Int

    init(port: PortKind, ring: GuestRing? = nil, pair: Int = 0) {
        self.port = port
        self.ring = ring
        self.pair = pair
    }
}
