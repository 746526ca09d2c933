import LinuxIO
import Logging
import SwitchCore
import VhostUser
import Virtio

/// A vhost-user port: its socket endpoint and device state machine (VhostUser), and the
/// virtqueues the engine serves for it. The device tells it, between bursts, when rings start and
/// stop; the port keeps the engine's flat list of TX rings and its own RX rings up to date.
final class VhostPort: SwitchPort {
    let index: UInt16
    /// Replaced by a reload in place (`reconfigure`, VhostPort+Reconfigure.swift).
    var spec: PortSpecification
    unowned let engine: Engine
    let device: VhostUserDevice
    let endpoint: VhostUserEndpoint
    /// The device's (weak) delegate. A weak reference to the port itself would give it a side
    /// table, which makes every retain of the port on the forwarding path take the slow path.
    private var events: DeviceEvents?

    /// Per queue pair; nil while that ring is stopped. These own the queues; every `GuestRing`
    /// elsewhere (running RX list, the engine's poll list and dirty list) is unmanaged.
    private(set) var receiveQueues: [GuestRing.Owned?]
    private(set) var transmitQueues: [GuestRing.Owned?]
    /// Running RX rings, dense, for choosing one per frame. Unmanaged so the forwarding path takes
    /// no reference counts; `receiveQueues` keeps them alive and this list is rebuilt first.
    private let runningReceive: UnsafeMutablePointer<ReceiveSlot>
    private(set) var runningReceiveCount = 0
    /// `runningReceiveCount` when the rings are split, 0 when packed: the hot path's lookup finds
    /// split rings only, and a packed port's frames take the out-of-line path
    /// (`Engine.deliverWithoutSplitRing`), so the split path has no format test (docs/packed-rings.md).
    private var splitReceiveCount = 0
    /// Per ring index.
    private var kicks: [EventFD?]
    private var calls: [EventFD?]
    /// Guards call writes and kick drains on the engine thread (docs/never-blocking.md).
    private let watchdog: SyscallWatchdog

    /// Decided at negotiation time, never per frame.
    private(set) var headerLength = VirtioNetHeader.length
    private(set) var mergeable = true
    /// What the guest acked: decides the offload fallbacks towards and from this port.
    private(set) var features: VirtioFeatures = []
    /// The guest may send partial checksums or GSO frames: its TX headers must be read.
    private(set) var sendsOffloads = false
    /// Largest untagged frame this port's guest may receive: MTU + Ethernet header.
    var maximumFrameLength: Int
    /// Broken or not, and why (VhostPort+Fault.swift, docs/port-faults.md).
    var faults = PortFaultRecord()
    /// Ours in the SIGBUS guard's registry: a fault in this port's guest memory breaks this port.
    let guardOwner = MemoryGuardOwner.allocate()

    init(index: UInt16, spec: PortSpecification, engine: Engine) throws {
        guard case .vhostUser(let path, let socketMode, let pairs) = spec.kind else {
            throw EngineError.portSetup(spec.name, "not a vhost-user port")
        }
        self.index = index
        self.spec = spec
        self.engine = engine
        watchdog = engine.watchdog
        maximumFrameLength = spec.mtu + 14
        var logger = engine.logger
        logger[metadataKey: "port"] = "\(spec.name)"
        var deviceConfiguration = VhostUserDevice.Configuration(queuePairs: pairs,
                                                                maxGuestMemory: spec.limits.maxGuestMemory)
        deviceConfiguration.memoryGuardOwner = guardOwner
        device = VhostUserDevice(name: spec.name, configuration: deviceConfiguration, logger: logger)
        let mode: VhostUserEndpoint.Mode = socketMode == .server ? .server(path: path) : .client(path: path)
        endpoint = VhostUserEndpoint(mode: mode, access: spec.access, device: device, epoll: engine.epoll,
                                     token: EventToken(.connection, port: index).rawValue)
        receiveQueues = Array(repeating: nil, count: pairs)
        runningReceive = .allocate(capacity: pairs)
        transmitQueues = Array(repeating: nil, count: pairs)
        kicks = Array(repeating: nil, count: pairs * 2)
        calls = Array(repeating: nil, count: pairs * 2)
        let events = DeviceEvents()
        self.events = events
        device.delegate = events
        events.port = self
        if let directory = engine.configuration.ringJournalDirectory {
            let path = "\(directory)/.\(spec.name).rings"
            do {
                device.ringJournal = try PackedRingJournal(path: path, rings: pairs * 2)
            } catch {
                logger.warning("no packed ring journal at \(path) (\(error)): packed rings resume from the front-end's base after a restart")
            }
        }
        try endpoint.start()
    }

    var state: PortOperationalState {
        if !endpoint.isConnected {
            if case .client = endpoint.mode { return .connecting }
            return .listening
        }
        if let fault = faults.broken { return .broken(fault) }
        return runningReceiveCount == 0 && transmitQueues.allSatisfy({ $0 == nil }) ? .connected : .running
    }

    var negotiatedFeatures: VirtioFeatures { endpoint.isConnected ? VirtioFeatures(rawValue: device.ackedFeatures.rawValue) : [] }
    var enabledQueuePairs: Int { runningReceiveCount }

    deinit { runningReceive.deallocate() }

    // MARK: Hot path helpers

    /// The RX ring for a frame that came in on queue pair `pair` of its source: the same pair
    /// number when the receiver runs it (keeps flows on one queue), else any running one.
    @inline(__always)
    func receiveTarget(forPair pair: Int) -> ReceiveSlot? {
        let n = splitReceiveCount
        guard n > 0 else { return nil }
        return runningReceive[n == 1 ? 0 : pair % n]
    }

    /// `receiveTarget` for a port whose rings are packed (nil otherwise, or when none runs).
    func packedReceiveTarget(forPair pair: Int) -> ReceiveSlot? {
        let n = runningReceiveCount
        guard n > 0, splitReceiveCount == 0 else { return nil }
        return runningReceive[n == 1 ? 0 : pair % n]
    }

    private func rebuildRunningReceive() {
        var n = 0
        for (pair, queue) in receiveQueues.enumerated() {
            guard let queue else { continue }
            runningReceive[n] = ReceiveSlot(ring: queue.ring, index: pair * 2)
            n += 1
        }
        runningReceiveCount = n
        // One format per device: every ring follows the driver's VIRTIO_F_RING_PACKED.
        splitReceiveCount = n > 0 && runningReceive[0].ring.isPacked ? 0 : n
    }

    /// Once per burst per ring. The front-end shares the call fd's file description and can make
    /// a write sleep; the watchdog interrupts it and the port fails (docs/never-blocking.md).
    @inline(__always)
    func notify(ring: Int) {
        guard let call = calls[ring] else { return }
        let outcome = call.signal(guardedBy: watchdog, tag: UInt32(truncatingIfNeeded: Int(index) &<< 8 | ring))
        if outcome != .done { notificationFailed() }
    }

    /// Out of line: no further write to this port's call fds in this turn (each could cost the
    /// watchdog's delay again), and the port fails after the turn.
    @inline(never)
    private func notificationFailed() {
        for ring in calls.indices { calls[ring] = nil }
        fail(.notificationBlocked)
    }

    // MARK: Events

    func handle(event: EventToken, ready: Epoll.Events, engine: Engine) {
        switch event.kind {
        case .connection:
            endpoint.handle(events: ready)
        case .kick:
            // Kicks only wake the engine; the rings are polled regardless. Drain so the
            // level-triggered epoll does not spin.
            // RWF_NOWAIT: never sleeps, even if the front-end drained the fd first and made it
            // blocking; a kick fd found blocking fails the port (docs/never-blocking.md).
            let ring = Int(event.detail)
            guard ring < kicks.count, let kick = kicks[ring] else { return }
            switch kick.drainWithoutBlocking(guardedBy: watchdog) {
            case .done, .wouldBlock: break
            case .blocked, .failed: fail(.kickBlocked)
            }
        default:
            break
        }
    }

    func housekeeping(now: UInt32, engine: Engine) {
        endpoint.handleTimers()
        endPenaltyIfDue(now: now)
        if faults.broken == nil, hasDirtyLogFault { fail(.dirtyLogFault) }
        if faults.broken == nil, hasBrokenQueue { fail(.ringBroken) }
    }

    /// A queue whose front-end's dirty log did not cover a write (docs/dirty-log.md): checked
    /// before `hasBrokenQueue`, since such a queue also broke itself.
    private var hasDirtyLogFault: Bool {
        for q in receiveQueues + transmitQueues {
            if let split = q?.queue as? SplitQueue, split.dirtyLogOutOfBounds { return true }
            if let packed = q?.queue as? PackedQueue, packed.dirtyLogOutOfBounds { return true }
        }
        return false
    }

    /// A queue that stopped itself on an impossible index from its guest (docs/port-faults.md).
    private var hasBrokenQueue: Bool {
        for q in receiveQueues where q?.queue.isBroken == true { return true }
        for q in transmitQueues where q?.queue.isBroken == true { return true }
        return false
    }

    func close(engine: Engine) {
        endpoint.stop()
        events?.port = nil
    }

    private func updateLinkState() {
        _ = engine.bridge.setPortUp(index, runningReceiveCount > 0 || transmitQueues.contains { $0 != nil })
        engine.rebuildPollList()
    }

    // MARK: Poll loop

    /// One burst source per running TX ring. The engine polls while awake: no kicks needed
    /// until it decides to sleep.
    func pollSlots(owner: PortKind) -> [PollSlot] {
        var slots: [PollSlot] = []
        for (pair, owned) in transmitQueues.enumerated() {
            guard let owned else { continue }
            owned.queue.disableNotifications()
            slots.append(PollSlot(port: owner, ring: owned.ring, pair: pair))
        }
        return slots
    }

    /// Before sleeping: ask the guest to kick again; true if it added chains meanwhile.
    func armForSleep(_ slot: PollSlot) -> Bool { slot.ring?.queue.enableNotifications() ?? false }

    /// After waking: suppress kicks again while polling.
    func disarmAfterSleep(_ slot: PollSlot) { slot.ring?.queue.disableNotifications() }

    func describe(into runtime: inout PortRuntime) {
        runtime.negotiatedFeatures = negotiatedFeatures
        runtime.lastFault = faults.last
        runtime.reason = brokenReason
        runtime.enabledQueuePairs = enabledQueuePairs
        runtime.faults = faultCount
        runtime.refusedConnections = endpoint.refusedConnections
        runtime.memoryRegions = endpoint.isConnected ? device.memoryRegionUse() : []
    }
}

/// Forwards device events to the port that owns it.
private final class DeviceEvents: VhostUserDeviceDelegate {
    unowned(unsafe) var port: VhostPort?

    func ringStarted(device: VhostUserDevice, index: Int, configuration: RingConfiguration) {
        port?.ringStarted(device: device, index: index, configuration: configuration)
    }
    func ringStopping(device: VhostUserDevice, index: Int) -> UInt16 {
        port?.ringStopping(device: device, index: index) ?? 0
    }
    func deviceDisconnected(device: VhostUserDevice) { port?.deviceDisconnected(device: device) }
    func sendRARP(device: VhostUserDevice, mac: [UInt8]) { port?.sendRARP(device: device, mac: mac) }
    func ringsLostMemory(device: VhostUserDevice, rings: [Int]) {
        port?.engine.logger.error("REM_MEM_REG removed the memory of running rings \(rings)",
                                  metadata: ["port": "\(port?.spec.name ?? "")"])
        port?.fail(.ringMemoryRemoved)
    }
}

extension VhostPort {
    func ringStarted(device: VhostUserDevice, index ring: Int, configuration c: RingConfiguration) {
        // A port broken by a memory fault stays broken until its memory is replaced, one that
        // trapped an eventfd until its penalty ends (VhostPort+Fault.swift).
        guard canRecover(with: c.memory) else { return }
        let pair = c.queuePair
        guard pair < receiveQueues.count, let queue = makeQueue(c) else {
            engine.logger.error("ring \(ring) of \(spec.name) cannot be served (size \(c.size))")
            return
        }
        headerLength = c.netHeaderLength
        mergeable = c.mergeableRxBuffers
        features = c.features
        sendsOffloads = !c.features.isDisjoint(with: [.csum, .hostTSO4, .hostTSO6, .hostUFO])
        kicks[ring] = c.kick
        calls[ring] = c.call
        if let kick = c.kick {
            try? engine.epoll.add(kick.rawValue, token: EventToken(.kick, port: index, detail: UInt32(ring)).rawValue)
        }
        if c.isReceiveQueue {
            // Never ask for RX kicks: the engine looks for RX buffers only when it has a frame to
            // deliver (and counts rx-ring-full when there are none), so a kick after each refill
            // would only cost the driver a syscall or VM exit per burst (DPDK's vhost PMD and
            // OVS disable them the same way).
            queue.queue.disableNotifications()
            receiveQueues[pair] = queue
            rebuildRunningReceive()
        } else {
            transmitQueues[pair] = queue
        }
        // A ring that (re)starts may already hold work: tell the guest once, as libvhost-user does
        // after a reconnect, so a driver waiting for an interrupt does not hang.
        notify(ring: ring)
        updateLinkState()
        recoverIfBroken()
    }

    /// The ring's queue in the format the driver negotiated (docs/packed-rings.md).
    private func makeQueue(_ c: RingConfiguration) -> GuestRing.Owned? {
        let size = UInt16(truncatingIfNeeded: c.size)
        let indirect = c.features.contains(.indirectDescriptors)
        if c.features.contains(.ringPacked) {
            // Used descriptors go back into the descriptor ring: logged at its own GPA, since QEMU's
            // log_guest_addr names the device event area (docs/dirty-log.md, "Packed rings").
            let ringLog = c.usedLogAddress == nil ? nil
                : c.memory.guestPhysical(host: c.descriptorTable, length: Int(size) &* PackedRing.descriptorSize)
            return PackedQueue(size: size, descriptors: c.descriptorTable, driverEvent: c.availableRing,
                               deviceEvent: c.usedRing, memory: c.memory, eventIndex: c.eventIndex,
                               lastAvailIndex: c.nextAvailableIndex, indirectDescriptors: indirect,
                               inOrder: c.features.contains(.inOrder),
                               limits: spec.limits.queueLimits, dirtyLog: c.dirtyLog, ringLogAddress: ringLog,
                               eventLogAddress: c.usedLogAddress, progressRecord: c.progressRecord)
                .map { GuestRing.Owned($0) }
        }
        return SplitQueue(size: size, descriptors: c.descriptorTable, avail: c.availableRing, used: c.usedRing,
                          memory: c.memory, eventIndex: c.eventIndex, lastAvailIndex: c.nextAvailableIndex,
                          indirectDescriptors: indirect, limits: spec.limits.queueLimits, dirtyLog: c.dirtyLog,
                          usedLogAddress: c.usedLogAddress).map { GuestRing.Owned($0) }
    }

    func ringStopping(device: VhostUserDevice, index ring: Int) -> UInt16 {
        let pair = ring / 2
        guard pair < receiveQueues.count else { return 0 }
        let queue = ring % 2 == 0 ? receiveQueues[pair] : transmitQueues[pair]
        // Every chain popped in a burst is completed within that burst, so nothing is in flight.
        let next = queue?.queue.lastAvailIndex ?? 0
        if let kick = kicks[ring] { engine.epoll.remove(kick.rawValue) }
        kicks[ring] = nil
        calls[ring] = nil
        if ring % 2 == 0 {
            // The dense list holds unmanaged references: rebuild it in the same step (nothing runs
            // in between on the engine thread) so it never names the released queue.
            receiveQueues[pair] = nil
            rebuildRunningReceive()
        } else {
            transmitQueues[pair] = nil
        }
        updateLinkState()
        return next
    }

    func deviceDisconnected(device: VhostUserDevice) {
        engine.logger.info("front-end disconnected", metadata: ["port": "\(spec.name)"])
        forgetBrokenState()
        updateLinkState()
    }

    func sendRARP(device: VhostUserDevice, mac: [UInt8]) {
        engine.injectRARP(from: self, mac: mac)
    }
}

/// One running RX ring of a port, as the forwarding path reaches it: the ring, and its index
/// among the port's rings (for the call eventfd).
struct ReceiveSlot {
    let ring: GuestRing
    let index: Int
}
