import GuestMemory
import LinuxIO

extension VhostUserDevice {
    /// Replaces the whole table (docs/vhost-user-protocol.md#memory-table). Running rings are stopped
    /// first and restarted on the new table, so no pointer into an unmapped region survives.
    func setMemoryTable(_ regions: [MemoryRegionDescriptor], _ m: inout VhostUserMessage) -> HandlerResult {
        if let refusal = exceedsMemoryLimit(regions, adding: 0) {
            // Nothing is mapped; the fds close in `handle`. The device keeps no memory at all, as
            // after any refused table, so the port stops until the front-end sends a valid one.
            changeMemory {
                memory.removeAll()
                regionReferences = [:]
                // With this port's guard owner: a region a later ADD_MEM_REG maps into this table
                // must still break this port when its file shrinks (docs/port-faults.md).
                memory = newMemoryTable()
            }
            return refusal
        }
        let fds = m.descriptors
        m.descriptors = []
        let table = newMemoryTable()
        var failure: String?
        for (region, fd) in zip(regions, fds) {
            if failure != nil { fd.close(); continue }
            if let why = Self.unmappableGuestMemory(fd.rawValue) {
                fd.close()
                failure = "region \(region): \(why)"
                continue
            }
            do { try table.add(region, descriptor: fd) } catch { failure = "region \(region): \(error)" }
        }
        changeMemory {
            memory.removeAll()
            regionReferences = [:]
            // On failure the device is left with no memory at all rather than half a table.
            memory = failure == nil ? table : newMemoryTable()
        }
        if let failure {
            table.removeAll()
            return .refused(failure)
        }
        logger.debug("memory table: \(regions.count) regions")
        return .done
    }

    /// QEMU before 8.x sends ADD_MEM_REG (and REM_MEM_REG) once per queue pair, because each
    /// pair is its own vhost_dev with its own view of the regions; newer QEMU sends them once per
    /// device. An identical region (same GPA, UVA and size) therefore takes a reference on the
    /// mapping already there instead of being refused as an overlap.
    func addRegion(_ region: MemoryRegionDescriptor, _ m: inout VhostUserMessage) -> HandlerResult {
        guard let fd = m.takeDescriptor() else { return .refused("no descriptor") }
        let key = RegionKey(region)
        if let n = regionReferences[key] {
            fd.close()
            regionReferences[key] = n + 1
            return .done
        }
        if let why = Self.unmappableGuestMemory(fd.rawValue) {
            fd.close()
            return .refused(why)
        }
        // Checked before the rings are bounced: a front-end past the slot count it was told
        // (GET_MAX_MEM_SLOTS) is refused with its rings left running on the table they have
        // (docs/memory-hotplug-and-reconnect.md#slots).
        guard memory.count < memory.maxRegions else {
            fd.close()
            let reason = "all \(memory.maxRegions) memory slots are in use (GET_MAX_MEM_SLOTS answered "
                + "\(configuration.maxMemorySlots)); region at GPA 0x\(String(region.guestPhysicalAddress, radix: 16)) "
                + "of \(region.size) bytes not added"
            logger.error("refused ADD_MEM_REG: \(reason)")
            return .refused(reason)
        }
        let mapped = memory.regions.reduce(UInt64(0)) { $0 &+ Self.mappedLength($1) }
        if let refusal = exceedsMemoryLimit([region], adding: mapped) {
            fd.close()
            return refusal
        }
        var failure: String?
        changeMemory {
            do { try memory.add(region, descriptor: fd) } catch { failure = "\(error)" }
        }
        if failure == nil {
            regionReferences[key] = 1
            logger.info("memory region added: GPA 0x\(String(region.guestPhysicalAddress, radix: 16)), \(region.size) bytes; \(memory.count) of \(memory.maxRegions) slots in use")
        }
        return failure.map { .refused($0) } ?? .done
    }

    /// Regions are matched by GPA, UVA and size; the mmap offset is not compared (libvhost-user,
    /// DPDK). An old front-end's attached fd is closed by `handle` unused.
    func removeRegion(_ region: MemoryRegionDescriptor) -> HandlerResult {
        let key = RegionKey(region)
        if let n = regionReferences[key], n > 1 {
            regionReferences[key] = n - 1
            return .done
        }
        regionReferences[key] = nil
        var removed = false
        let lost = changeMemory { removed = memory.remove(matching: region) }
        guard removed else { return .refused("no region at GPA 0x\(String(region.guestPhysicalAddress, radix: 16))") }
        logger.info("memory region removed: GPA 0x\(String(region.guestPhysicalAddress, radix: 16)), \(region.size) bytes; \(memory.count) of \(memory.maxRegions) slots in use")
        // The front-end took memory away under running rings: they cannot start again in the new
        // table. Stopping them silently would leave a port that looks connected and never moves a
        // frame; the port breaks instead, visibly, until the front-end gives the rings memory again
        // (docs/memory-hotplug-and-reconnect.md#removing-memory-under-a-ring).
        if !lost.isEmpty { delegate?.ringsLostMemory(device: self, rings: lost) }
        return .done
    }

    /// Refuses (and counts) regions whose mappings would take the port's mapped guest memory past
    /// `configuration.maxGuestMemory`: a sparse memfd costs the front-end nothing, but each
    /// mapping takes our address space (docs/limits.md). Checked before any mmap.
    private func exceedsMemoryLimit(_ regions: [MemoryRegionDescriptor], adding mapped: UInt64) -> HandlerResult? {
        var total = mapped
        for region in regions {
            let (sum, overflow) = total.addingReportingOverflow(Self.mappedLength(region))
            total = overflow ? .max : sum
        }
        guard total > configuration.maxGuestMemory else { return nil }
        memoryLimitRefusals += 1
        let reason = "guest memory of \(total) bytes exceeds this port's limit of \(configuration.maxGuestMemory) "
            + "bytes (limits: max-guest-memory)"
        logger.error("refused memory: \(reason)")
        return .refused(reason)
    }

    /// The address space a region takes: `GuestMemoryTable.add` maps its file from offset 0 (an
    /// mmap offset must be page- or huge-page-aligned, the region's need not be), so a 4 KiB region
    /// at mmap_offset 100 TiB of a sparse memfd maps 100 TiB. Counting only `size` let exactly that
    /// past `max-guest-memory` (docs/red-team.md).
    static func mappedLength(_ region: MemoryRegionDescriptor) -> UInt64 {
        let (length, overflow) = region.size.addingReportingOverflow(region.mmapOffset)
        return overflow ? .max : length
    }

    /// Brackets a table change with the delegate calls documented on `VhostUserDeviceDelegate`.
    /// Returns the rings that ran before the change and whose addresses no longer translate after
    /// it (still enabled and kicked: only the memory went).
    @discardableResult
    private func changeMemory(_ change: () -> Void) -> [Int] {
        delegate?.memoryWillChange(device: self)
        let running = rings.indices.filter { rings[$0].started }
        for i in running { stop(i) }
        change()
        delegate?.memoryDidChange(device: self)
        for i in rings.indices { startIfRunnable(i) }
        return running.filter { !rings[$0].started && translate($0) == nil }
    }
}

/// A region as ADD/REM_MEM_REG identify it: the mmap offset does not take part.
struct RegionKey: Hashable {
    let guestPhysicalAddress: UInt64
    let userspaceAddress: UInt64
    let size: UInt64

    init(_ r: MemoryRegionDescriptor) {
        guestPhysicalAddress = r.guestPhysicalAddress
        userspaceAddress = r.userspaceAddress
        size = r.size
    }
}
