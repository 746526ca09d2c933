import GuestMemory
import LinuxIO

extension VhostUserDevice {
    /// Replaces the whole table (notes §2.1 #5). Running rings are stopped first and restarted on
    /// the new table, so no pointer into an unmapped region survives.
    func setMemoryTable(_ regions: [MemoryRegionDescriptor], _ m: inout VhostUserMessage) -> HandlerResult {
        let fds = m.descriptors
        m.descriptors = []
        let table = GuestMemoryTable(maxRegions: configuration.maxMemorySlots)
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
            memory = failure == nil ? table : GuestMemoryTable(maxRegions: configuration.maxMemorySlots)
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
        var failure: String?
        changeMemory {
            do { try memory.add(region, descriptor: fd) } catch { failure = "\(error)" }
        }
        if failure == nil { regionReferences[key] = 1 }
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
        changeMemory { removed = memory.remove(matching: region) }
        return removed ? .done : .refused("no region at GPA 0x\(String(region.guestPhysicalAddress, radix: 16))")
    }

    /// Brackets a table change with the delegate calls documented on `VhostUserDeviceDelegate`.
    private func changeMemory(_ change: () -> Void) {
        delegate?.memoryWillChange(device: self)
        for i in rings.indices where rings[i].started { stop(i) }
        change()
        delegate?.memoryDidChange(device: self)
        for i in rings.indices { startIfRunnable(i) }
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
