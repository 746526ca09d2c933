extension Bridge {
    /// Adds port `index`. Ports start up unless `isUp` is false.
    public func addPort(_ index: UInt16, name: String, mode: PortMode, macLimit: Int? = nil,
                        isUp: Bool = true) throws(PortConfigurationError) {
        try validate(index: index, mode: mode, macLimit: macLimit)
        guard !states[Int(index)].isPresent else { throw .portExists(index) }
        let i = Int(index)
        counters.reset(port: i)
        fdb.resetMoves(port: index)
        // Static entries configured ahead of the port stay if the port carries their VLAN.
        fdb.flush(port: index, exceptVLANs: mode.memberVLANs)
        apply(index: index, name: name, mode: mode, macLimit: macLimit)
        states[i].flags |= PortState.exists | (isUp ? PortState.up : 0)
        insertPresent(index)
    }

    /// Changes a port's name, mode and limit, keeping its counters and up/down state. FDB entries
    /// (static ones too) in VLANs the port no longer carries are removed; the rest stay valid.
    public func updatePort(_ index: UInt16, name: String, mode: PortMode,
                           macLimit: Int? = nil) throws(PortConfigurationError) {
        try validate(index: index, mode: mode, macLimit: macLimit)
        guard states[Int(index)].isPresent else { throw .noSuchPort(index) }
        if modes[Int(index)] != mode {
            fdb.flush(port: index, exceptVLANs: mode.memberVLANs)
        }
        apply(index: index, name: name, mode: mode, macLimit: macLimit)
    }

    /// Removes a port and every FDB entry (static included) pointing at it.
    @discardableResult
    public func removePort(_ index: UInt16) -> Bool {
        guard Int(index) < maxPorts, states[Int(index)].isPresent else { return false }
        let i = Int(index)
        fdb.flush(port: index, includeStatic: true)
        fdb.setMACLimit(port: index, limit: nil)
        clearSecurity(i)
        states[i] = .absent
        (membership + i * 64).update(repeating: 0, count: 64)
        names[i] = ""
        modes[i] = nil
        removePresent(index)
        return true
    }

    /// Link state. A down port receives no floods, unicast to it is dropped `port-down`, frames
    /// from it are dropped `port-down`; going down flushes its learned entries (its stations
    /// may reappear elsewhere), static entries stay.
    @discardableResult
    public func setPortUp(_ index: UInt16, _ up: Bool) -> Bool {
        guard Int(index) < maxPorts, states[Int(index)].isPresent else { return false }
        let i = Int(index)
        let wasUp = states[i].flags & PortState.up != 0
        if up {
            states[i].flags |= PortState.up
        } else {
            states[i].flags &= ~PortState.up
            if wasUp { fdb.flush(port: index) }
        }
        return true
    }

    public func isPortUp(_ index: UInt16) -> Bool {
        Int(index) < maxPorts && states[Int(index)].isActive
    }

    public func portMode(_ index: UInt16) -> PortMode? {
        Int(index) < maxPorts ? modes[Int(index)] : nil
    }

    /// Indices of present ports, ascending.
    public var portIndices: [UInt16] {
        Array(UnsafeBufferPointer(start: presentPorts, count: presentCount))
    }

    private func validate(index: UInt16, mode: PortMode, macLimit: Int?) throws(PortConfigurationError) {
        guard Int(index) < maxPorts else { throw .indexOutOfRange(index: index, maxPorts: maxPorts) }
        switch mode {
        case .access(let vlan):
            guard VLANSet.validRange.contains(vlan) else { throw .invalidVLAN(vlan) }
        case .trunk(_, let native):
            if let native, !VLANSet.validRange.contains(native) { throw .invalidVLAN(native) }
        }
        if let macLimit, macLimit < 0 || macLimit > Int(UInt32.max) { throw .invalidMACLimit(macLimit) }
    }

    private func apply(index: UInt16, name: String, mode: PortMode, macLimit: Int?) {
        let i = Int(index)
        names[i] = name
        modes[i] = mode
        fdb.setMACLimit(port: index, limit: macLimit)
        mode.memberVLANs.copyWords(to: membership + i * 64)
        var flags = states[i].flags & ~PortState.trunk
        switch mode {
        case .access(let vlan):
            states[i].untaggedVLAN = vlan
        case .trunk(_, let native):
            flags |= PortState.trunk
            states[i].untaggedVLAN = native ?? 0
        }
        states[i].flags = flags
    }

    private func insertPresent(_ index: UInt16) {
        var at = presentCount
        while at > 0 && presentPorts[at - 1] > index {
            presentPorts[at] = presentPorts[at - 1]
            at -= 1
        }
        presentPorts[at] = index
        presentCount += 1
    }

    private func removePresent(_ index: UInt16) {
        guard let at = (0..<presentCount).first(where: { presentPorts[$0] == index }) else { return }
        for j in at..<(presentCount - 1) { presentPorts[j] = presentPorts[j + 1] }
        presentCount -= 1
    }
}
