import CSwitchyard
import LinuxIO
import Virtio

extension VhostUserDevice {
    func checkedIndex(_ raw: UInt32) -> Int? {
        Int(raw) < rings.count ? Int(raw) : nil
    }

    func setRingSize(_ s: VringState) -> HandlerResult {
        guard let i = checkedIndex(s.index) else { return .refused(beyondLimit(s.index)) }
        guard isValidRingSize(Int(s.num)) else {
            return .refused("ring size \(s.num) is not \(packedRings ? "in" : "a power of two in") 1...32768")
        }
        guard !rings[i].started else { return .refused("ring \(i) is running") }
        rings[i].size = Int(s.num)
        return .done
    }

    /// Stores the UVAs; they are translated each time the ring starts. If the table is already there,
    /// an address outside it is refused now rather than leaving a ring that silently never starts.
    func setRingAddress(_ a: VringAddress) -> HandlerResult {
        guard let i = checkedIndex(a.index) else { return .refused(beyondLimit(a.index)) }
        // VHOST_VRING_F_LOG: used-ring writes are logged at `logGPA` while LOG_ALL is acked
        // (docs/dirty-log.md); the address is checked against the log on each write.
        guard a.flags & ~VringAddress.logFlag == 0 else { return .refused("unknown vring address flags 0x\(String(a.flags, radix: 16))") }
        update(i) { $0.address = a }
        if rings[i].size > 0, memory.count > 0, translate(i) == nil {
            return .refused("ring \(i) addresses are not inside guest memory (or misaligned)")
        }
        return .done
    }

    func setRingBase(_ s: VringState) -> HandlerResult {
        guard let i = checkedIndex(s.index) else { return .refused(beyondLimit(s.index)) }
        // Bits 16–31 belong to the packed-ring encoding (VhostUserDevice+PackedRings.swift).
        guard s.num <= 0xFFFF || packedRings else {
            return .refused("ring base 0x\(String(s.num, radix: 16)) is a packed-ring value")
        }
        guard !rings[i].started else { return .refused("ring \(i) is running") }
        rings[i].base = packedRings ? packedBase(s.num) : UInt16(s.num)
        rings[i].frontEndBase = s.num
        return .done
    }

    /// Stops the ring (docs/vhost-user-protocol.md#stopping-a-ring): the datapath completes what it
    /// popped and reports its index. Kick and call are dropped like libvhost-user and DPDK do; the
    /// front-end sends new ones.
    func getRingBase(_ s: VringState) -> HandlerResult {
        guard let i = checkedIndex(s.index) else { return .refused(beyondLimit(s.index)) }
        if rings[i].started { stop(i) }
        ringJournal?.clear(ring: i)
        rings[i].kickInstalled = false
        rings[i].kick = nil
        rings[i].call = nil
        let num = packedRings ? packedBaseReply(rings[i].base) : UInt32(rings[i].base)
        return .reply(.vringState(VringState(index: s.index, num: num)))
    }

    func setRingNotifier(_ request: VhostUserRequest, _ raw: UInt64, _ m: inout VhostUserMessage) -> HandlerResult {
        // The codec has checked the word and that the fd count matches NOFD.
        guard let word = VringDescriptorWord(raw) else { return .refused("bad vring fd word") }
        let fd = m.takeDescriptor()
        guard let i = checkedIndex(word.index) else {
            fd?.close()
            return .refused(beyondLimit(word.index))
        }
        // The datapath writes call fds and reads kick fds on the engine thread: anything but an
        // eventfd (a pipe, a socket, a FIFO) could block it or mean something else entirely.
        if let fd, EventFD.isEventFD(fd.rawValue) != true {
            fd.close()
            return .refused("\(request) for ring \(word.index): the descriptor is not an eventfd")
        }
        if let fd, request == .setVringKick, EventFD.isSemaphore(fd.rawValue) {
            fd.close()
            return .refused("SET_VRING_KICK for ring \(word.index): a semaphore eventfd would keep the engine awake")
        }
        let event = fd.map { EventFD(adopting: $0) }
        switch request {
        case .setVringKick:
            // NOFD: no kicks will come, the datapath polls the ring.
            update(i) { $0.kick = event; $0.kickInstalled = true }
        case .setVringCall:
            update(i) { $0.call = event }
        default:
            rings[i].error = event
        }
        return .done
    }

    func setRingEnabled(_ s: VringState) -> HandlerResult {
        guard let i = checkedIndex(s.index) else { return .refused(beyondLimit(s.index)) }
        guard s.num <= 1 else { return .refused("enable value \(s.num)") }
        let enable = s.num == 1
        guard rings[i].enabled != enable else { return .done }
        update(i) { $0.enabled = enable }
        return .done
    }

    /// Applies a change to one ring: a started ring is stopped first and restarted afterwards if it
    /// is still runnable, so the datapath always holds a consistent configuration.
    func update(_ i: Int, _ change: (inout VhostUserRing) -> Void) {
        if rings[i].started { stop(i) }
        change(&rings[i])
        startIfRunnable(i)
    }

    func stop(_ i: Int) {
        guard rings[i].started else { return }
        rings[i].started = false
        if let delegate {
            rings[i].base = delegate.ringStopping(device: self, index: i)
        }
        logger.debug("ring \(i) stopped at \(rings[i].base)")
    }

    /// Runnable = kick installed (or NOFD) && addresses translate && enabled
    /// (docs/vhost-user-protocol.md#starting-a-ring).
    func startIfRunnable(_ i: Int) {
        guard isConnected, !rings[i].started, rings[i].kickInstalled, rings[i].enabled,
              let p = translate(i) else { return }
        let ring = rings[i]
        let packed = packedRings
        // A packed base names a slot (bits 0-14) that must be inside the ring.
        if packed, Int(ring.base & 0x7FFF) >= ring.size {
            logger.error("ring \(i): packed base 0x\(String(ring.base, radix: 16)) is outside a ring of \(ring.size)")
            return
        }
        // After a reconnect the front-end's base may disagree with the used index in guest memory
        // (QEMU falls back to used->idx, DPDK sends 0). Resume where the used ring is, like DPDK and
        // libvhost-user: chains the guest posted and we never completed are then processed again.
        // A packed ring has no used index in memory: its base, or the journal, says where to resume.
        let usedIndex = packed ? packedResumePoint(i, descriptors: p.descriptors) : csy_load_acquire_u16(p.used + 2)
        var next = ring.base
        if next != usedIndex {
            // packedResumePoint logs its own reason.
            if !packed { logger.info("ring \(i): base \(next) differs from used index \(usedIndex); resuming at \(usedIndex)") }
            next = usedIndex
        }
        rings[i].base = next
        rings[i].started = true
        queueLimitWatch.ringStarted = true
        let features = ackedFeatures
        let config = RingConfiguration(
            index: i, size: ring.size, descriptorTable: p.descriptors, availableRing: p.available, usedRing: p.used,
            nextAvailableIndex: next, usedIndex: usedIndex, kick: ring.kick, call: ring.call,
            eventIndex: features.contains(.eventIndex), netHeaderLength: features.netHeaderLength,
            mergeableRxBuffers: features.contains(.mergeableRxBuffers), features: features, memory: memory,
            dirtyLog: features.contains(.vhostLogAll) ? dirtyLog : nil,
            usedLogAddress: (ring.address?.flags ?? 0) & VringAddress.logFlag != 0 ? ring.address?.logGPA : nil,
            progressRecord: packed ? ringJournal?.progressRecord(ring: i) : nil)
        logger.debug("ring \(i) started: size \(ring.size), next avail \(next)")
        delegate?.ringStarted(device: self, index: i, configuration: config)
    }

    /// The three ring areas as our pointers, each entirely inside one region and aligned as the
    /// split-ring layout requires; nil otherwise. `SplitRing.Layout` makes every check, the same
    /// ones `SplitQueue.init` makes of the pointers, so a ring that starts is one it accepts.
    func translate(_ i: Int) -> (descriptors: UnsafeMutableRawPointer, available: UnsafeMutableRawPointer,
                                 used: UnsafeMutableRawPointer)? {
        let ring = rings[i]
        if packedRings { return translatePacked(ring) }
        guard let a = ring.address,
              let layout = SplitRing.Layout(queueSize: ring.size, eventIndex: ackedFeatures.contains(.eventIndex)),
              let p = layout.pointers(descriptors: a.descriptorUVA, avail: a.availableUVA, used: a.usedUVA,
                                      userspaceIn: memory)
        else { return nil }
        return (p.descriptors, p.avail, p.used)
    }
}
