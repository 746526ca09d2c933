#if canImport(Glibc)
import Glibc
#endif
@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Memory-table attacks (see `HostileFrontEndTests`): tables that cannot be mapped, sparse
/// files, more regions than slots, overlapping regions.
extension HostileFrontEndTests {
    @Test func memoryTablesThatCannotBeMappedAreRefused() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "bad memory tables", setup: .negotiated) { x in
            let good = x.ram.regions
            let fd = x.ram.file.rawValue
            var overlapGPA = good
            overlapGPA[1].guestPhysicalAddress = good[0].guestPhysicalAddress + 4096
            var overlapUVA = good
            overlapUVA[1].userspaceAddress = good[0].userspaceAddress + 4096
            var wraps = [good[0]]
            wraps[0].guestPhysicalAddress = UInt64.max - 4095
            var wrapsUVA = [good[0]]
            wrapsUVA[0].userspaceAddress = UInt64.max - 4095
            var pastEnd = [good[0]]
            pastEnd[0].mmapOffset = 1 << 30
            var empty = [good[0]]
            empty[0].size = 0
            for (what, table) in [("overlapping GPAs", overlapGPA), ("overlapping UVAs", overlapUVA),
                                  ("GPA + size wraps", wraps), ("UVA + size wraps", wrapsUVA),
                                  ("mmap_offset past the file's end", pastEnd), ("an empty region", empty)] {
                try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(table),
                                  fds: table.map { _ in fd }, what)
            }
            // The guest RAM through a read-only descriptor: a shared writable mapping is refused.
            let readOnly = open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC)
            #expect(readOnly >= 0)
            try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(good),
                              fds: good.map { _ in readOnly }, "a read-only descriptor")
            // (Its copies are checked with the attacker's memfd, by name, when x is gone.)
            close(readOnly)
            // Positive control: the real table.
            try expectAccepted(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(good),
                               fds: good.map { _ in fd }, "the real table")
            // Nine regions: more than a table holds (a malformed message: the connection closes).
            let nine = Array(repeating: good[0], count: 9)
            try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable(nine),
                              fds: nine.map { _ in fd }, ack: false, "nine regions")
        }
        expectAccountingAddsUp(h.engine)
    }

    /// A 4 KiB region at mmap_offset 2 TiB of a sparse memfd: the region is small, but its file is
    /// mapped from offset 0, so it would take 2 TiB of address space. Counted against
    /// `max-guest-memory` by what is mapped (the hole: only `size` was counted).
    @Test func aSmallRegionFarIntoASparseFileCountsWhatItMaps() throws {
        let (h, baseline) = try harness()
        let sparse = try Memfd.create(name: "redteam-sparse", size: (2 << 40) + (1 << 20))
        try survive(h, baseline: baseline, "4 KiB at mmap_offset 2 TiB", setup: .negotiated) { x in
            var region = x.ram.regions[0]
            region.size = 4096
            region.mmapOffset = 2 << 40
            try expectRefused(x, code: FrontEndRequest.setMemTable.rawValue, payload: FrontEndWire.memoryTable([region]),
                              fds: [sparse.rawValue], "SET_MEM_TABLE")
            try x.start()   // positive control: the real table maps
            var added = region
            added.guestPhysicalAddress = 0x40_0000_0000
            added.userspaceAddress = 0x7000_0000_0000
            try expectRefused(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(added),
                              fds: [sparse.rawValue], "ADD_MEM_REG")
            // Positive control: the same region at offset 1 MiB of the same file is added.
            added.mmapOffset = 1 << 20
            try expectAccepted(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(added),
                               fds: [sparse.rawValue], "ADD_MEM_REG near the start")
            let refusals = try h.engine.perform { e in e.ports[Int(e.portIndex(named: "x")!)]?.vhost?.device.memoryLimitRefusals }.get()
            #expect(refusals == 2)
        }
        expectNoCopiesLeft(of: sparse.rawValue, "the sparse memfd")
        expectAccountingAddsUp(h.engine)
    }

    @Test func regionsBeyondTheSlotsOrOverlappingAreRefused() throws {
        let (h, baseline) = try harness()
        let extra = try Memfd.create(name: "redteam-slots", size: 64 << 20)
        try survive(h, baseline: baseline, "ADD_MEM_REG beyond the slots") { x in
            let slots = Int(try x.getU64(.getMaxMemSlots))
            func region(_ k: Int) -> GuestRAM.Region {
                var r = x.ram.regions[0]
                r.guestPhysicalAddress = 0x10_0000_0000 + UInt64(k) << 20
                r.userspaceAddress = 0x6000_0000_0000 + UInt64(k) << 20
                r.size = 1 << 20
                r.mmapOffset = UInt64(k) << 20
                return r
            }
            for k in 0..<(slots - x.ram.regions.count) {
                try expectAccepted(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(region(k)),
                                   fds: [extra.rawValue], "region \(k)")
            }
            try expectRefused(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(region(60)),
                              fds: [extra.rawValue], "one region more than \(slots) slots")
            try expectAccepted(x, code: FrontEndRequest.remMemReg.rawValue, payload: FrontEndWire.singleRegion(region(0)),
                               "REM_MEM_REG makes room")
            var overlapping = region(1)
            overlapping.guestPhysicalAddress += 4096
            overlapping.userspaceAddress = 0x6800_0000_0000
            try expectRefused(x, code: FrontEndRequest.addMemReg.rawValue, payload: FrontEndWire.singleRegion(overlapping),
                              fds: [extra.rawValue], "a region overlapping another's GPAs")
            try expectRefused(x, code: FrontEndRequest.remMemReg.rawValue, payload: FrontEndWire.singleRegion(region(61)),
                              "REM_MEM_REG of a region never added")
            // Traffic still flows over x's own rings.
            let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 77)
            try x.send(frame: fromX)
            #expect(try h.receive("a", expected: 1) == [fromX])
            _ = try h.receive("b", expected: 1)
        }
        expectNoCopiesLeft(of: extra.rawValue, "the added regions' memfd")
        expectAccountingAddsUp(h.engine)
    }
}
