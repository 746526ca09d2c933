#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import LinuxIO
import Logging
import Synchronization
import SwitchCore

/// One forwarding engine: owns its ports' rings, the switching core (FDB, VLANs, counters) and
/// every vhost-user connection of its ports, all on one thread. Control messages that change
/// what the datapath reads are handled by this same thread between bursts, so no mapping is
/// ever unmapped under a running burst and the hot path takes no lock.
///
/// Scaling out later means several engines, each with its own ports, joined by SPSC rings.
public final class Engine {
    public let configuration: EngineConfiguration
    public let bridge: Bridge
    let logger: Logger
    let epoll: Epoll
    let mailbox: EngineMailbox
    /// The port table, indexed by the switch port number the core uses. Written only through
    /// `setPort(_:at:)`, which keeps `portTable` (its unmanaged view) in step.
    var ports: [EnginePort?]
    /// The same ports' kinds (unmanaged), for the forwarding path: it reads a destination's entry
    /// without reference counting (`ports` owns them; an entry is cleared before its port goes).
    let portTable: UnsafeMutablePointer<PortKind?>
    /// Every burst source of the poll loop (running guest TX rings, uplinks), flattened; rebuilt
    /// by `rebuildPollList` when a port or ring comes or goes.
    var pollList: [PollSlot] = []
    let scratch: BurstScratch
    /// Port mirrors (Engine+Mirror.swift, docs/mirroring.md).
    let mirrors: MirrorTable
    /// `mirrors.portFlags`, one load closer for the forwarding path's per-frame test.
    let mirrorFlags: UnsafeMutablePointer<UInt8>
    /// Turns, bursts and sleeps of the loop (engine thread only). Behind a pointer so that the
    /// per-turn increments are plain stores: on a class property each would be a dynamically
    /// checked exclusive access (swift_beginAccess, ~75 instructions).
    let loop: UnsafeMutablePointer<LoopCounters>
    /// Read through `perform` (on the engine thread).
    public var loopCounters: LoopCounters { loop.pointee }
    /// The `csy_fault_generation` this engine last acted on (Engine+Faults.swift).
    let faultsSeen: UnsafeMutablePointer<UInt64>
    private var thread: PinnedThread?
    /// Interrupts a call notification or kick drain a front-end made sleep (docs/never-blocking.md).
    let watchdog = SyscallWatchdog()
    private let stopRequested = Atomic<Bool>(false)
    let clock = EngineClock()
    /// The latest snapshot, for readers on any thread (Engine+Snapshot.swift).
    let snapshots = SnapshotBoard()
    /// Running live captures (Engine+Capture.swift).
    let captures = CaptureTable()

    public init(configuration: EngineConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        bridge = Bridge(fdbCapacity: configuration.fdbCapacity, agingTime: configuration.agingSeconds)
        epoll = try Epoll(capacity: 256)
        mailbox = try EngineMailbox()
        ports = Array(repeating: nil, count: bridge.maxPorts)
        portTable = .allocate(capacity: bridge.maxPorts)
        portTable.initialize(repeating: nil, count: bridge.maxPorts)
        scratch = BurstScratch(maxPorts: bridge.maxPorts)
        mirrors = MirrorTable(maxPorts: bridge.maxPorts)
        mirrorFlags = mirrors.portFlags
        loop = .allocate(capacity: 1)
        loop.initialize(to: LoopCounters())
        faultsSeen = .allocate(capacity: 1)
        faultsSeen.initialize(to: csy_fault_generation())
        try epoll.add(mailbox.doorbell.rawValue, token: EventToken(.mailbox).rawValue)
    }

    deinit {
        portTable.deallocate()
        loop.deallocate()
        faultsSeen.deallocate()
    }

    // MARK: Thread

    public func start() throws {
        do {
            thread = try PinnedThread(name: "switchyard-dp", cpus: configuration.cpus.isEmpty ? nil : configuration.cpus) {
                [unowned self] in self.runLoop()
            }
        } catch {
            throw configuration.cpus.isEmpty ? EngineError.threadStart(error.code) : EngineError.affinity(configuration.cpus, error.code)
        }
    }

    /// Stops the loop, then tears every port down (sockets removed, guests' memory unmapped).
    public func stop() {
        guard let t = thread else { return }
        stopRequested.store(true, ordering: .releasing)
        mailbox.doorbell.signal()
        t.join()
        thread = nil
        for case let port? in ports { port.close(engine: self) }
        pollList = []
        for i in ports.indices { setPort(nil, at: i) }
    }

    /// Runs `body` on the engine thread between bursts and returns its result.
    public func perform<T>(timeoutSeconds: Double = 5, _ body: @escaping (Engine) -> T) -> Result<T, EngineError> {
        guard thread != nil else { return .failure(.notRunning) }
        guard let value = mailbox.perform(timeoutSeconds: timeoutSeconds, { body(self) }) else {
            return .failure(.notRunning)
        }
        return .success(value)
    }

    public var uptimeSeconds: UInt64 { clock.secondsSinceStart }
    public var nowSeconds: UInt32 { clock.now }

    /// One turn of the loop on the caller's thread, for benchmarks and tests that drive the engine
    /// synchronously (never while the engine thread runs): control events waiting up to
    /// `timeoutMilliseconds`, then one pass over every ring. Returns the frames moved.
    @discardableResult
    public func runOnce(timeoutMilliseconds: Int32 = 0) -> Int {
        guard thread == nil else { return 0 }
        dispatch(epoll.wait(timeoutMilliseconds: timeoutMilliseconds))
        let work = countedTurn()
        return work
    }

    @inline(__always)
    private func countedTurn() -> Int {
        let work = pollPorts()
        // One load per turn: a port fault (SIGBUS in guest memory, VhostPort.fail) is acted on
        // after the turn, never mid-burst (docs/port-faults.md).
        if csy_fault_generation() != faultsSeen.pointee { actOnPortFaults() }
        loop.pointee.turns &+= 1
        if work > 0 {
            loop.pointee.busyTurns &+= 1
            loop.pointee.frames &+= UInt64(truncatingIfNeeded: work)
        }
        return work
    }

    // MARK: Loop

    private func runLoop() {
        var idleTurns = 0
        var idleSince: UInt64 = 0
        var spin = IdleSpin()
        let sleeps = configuration.idle != .poll
        var lastHousekeeping = clock.now
        var turnsSinceMessageCheck = 0
        do { try watchdog.attach() } catch {
            logger.critical("cannot start the engine watchdog: \(error); a front-end could block notifications")
        }
        defer { watchdog.detach() }
        while !stopRequested.load(ordering: .acquiring) {
            if mailbox.hasWork { mailbox.drain() }
            let work = countedTurn()
            let now = clock.now
            if now != lastHousekeeping {
                lastHousekeeping = now
                housekeeping(now: now)
            }
            if work > 0 {
                if idleTurns > 0 && sleeps {
                    spin.idleEnded(afterNanoseconds: MonotonicClock.nanoseconds() &- idleSince)
                    loop.pointee.spinWindowNanoseconds = spin.windowNanoseconds
                }
                idleTurns = 0
                // Control messages still need service while traffic keeps the loop busy.
                turnsSinceMessageCheck += 1
                if turnsSinceMessageCheck >= 64 {
                    turnsSinceMessageCheck = 0
                    dispatch(epoll.wait(timeoutMilliseconds: 0))
                }
                continue
            }
            idleTurns += 1
            if idleTurns % 64 == 0 { dispatch(epoll.wait(timeoutMilliseconds: 0)) }
            guard sleeps else { continue }
            // The idle period runs from its first empty turn until a turn finds work, across any
            // sleeps in between; the clock is read on its first turn and every 16th after.
            let elapsed: UInt64
            if idleTurns == 1 {
                idleSince = MonotonicClock.nanoseconds()
                elapsed = 0
            } else if idleTurns % 16 == 0 {
                elapsed = MonotonicClock.nanoseconds() &- idleSince
            } else {
                continue
            }
            guard spin.shouldSleep(afterNanoseconds: elapsed) else { continue }
            // Going to sleep: ask guests to kick again, then re-check so no kick is lost.
            if armNotifications() { continue }
            loop.pointee.sleeps &+= 1
            watchdog.sleeping()
            let woken = epoll.wait(timeoutMilliseconds: 1000)
            watchdog.awake()
            dispatch(woken)
            disarmNotifications()
        }
    }

    private func dispatch(_ events: UnsafeBufferPointer<epoll_event>) {
        for event in events {
            guard let token = EventToken(rawValue: event.token) else { continue }
            switch token.kind {
            case .mailbox:
                mailbox.drain()
            default:
                guard Int(token.port) < ports.count, let port = ports[Int(token.port)] else { continue }
                port.handle(event: token, ready: event.readyEvents, engine: self)
            }
        }
    }

    private func housekeeping(now: UInt32) {
        bridge.expire(now: now)
        for case let port? in ports { port.housekeeping(now: now, engine: self) }
        publishSnapshot(.housekeeping, including: Engine.periodicSnapshotContents)
    }
}
