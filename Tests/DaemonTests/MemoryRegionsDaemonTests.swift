import ControlProtocol
import Foundation
import Testing
import VhostTestFrontEnd

/// `yardctl ports --json` lists a guest's memory regions as they come and go with hot-plug, each
/// with the RX buffers the guest posted in it (docs/memory-hotplug-and-reconnect.md).
@Suite(.serialized) struct MemoryRegionsDaemonTests {
    @Test func portsListTheRegionsAHotPlugAddsAndRemoves() throws {
        let d = try DaemonProcess(yaml: """
            switch:
              socket-directory: SOCKDIR
              control-socket: SOCKDIR/control.sock
            ports:
              - { name: vm1, type: vhost-user, socket: vm1.sock }
            """)
        func regions() throws -> [MemoryRegionStatus]? {
            guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("not a ports reply") }
            return ports.first?.memoryRegions
        }
        #expect(try regions() == [], "no front-end, no memory")
        let frontEnd = try TestFrontEnd(connectingTo: d.directory.appendingPathComponent("vm1.sock").path)
        try frontEnd.negotiate()
        try frontEnd.start()
        try frontEnd.sync()
        // The test front-end posts its 256 RX buffers in boot region 1 (GPA 4 GiB).
        try waitFor("two boot regions") { (try? regions())??.count == 2 }
        #expect(try regions()?.map(\.receiveBuffers) == [0, 256])
        let dimm = try HotplugMemory(guestPhysicalAddress: 0x2_0000_0000, name: "hp-daemon-dimm")
        try frontEnd.plug(dimm)
        try waitFor("the DIMM listed") { (try? regions())??.count == 3 }
        let plugged = try #require(try regions()?.last)
        #expect(plugged == MemoryRegionStatus(guestPhysicalAddress: 0x2_0000_0000, size: 1 << 20, receiveBuffers: 0))
        try frontEnd.unplug(dimm)
        try waitFor("the DIMM gone") { (try? regions())??.count == 2 }
        frontEnd.disconnect()
        #expect(try d.stop().status == 0)
    }
}
