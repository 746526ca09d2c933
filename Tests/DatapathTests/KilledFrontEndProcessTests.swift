#if canImport(Glibc)
import Glibc
#endif
import Datapath
import Foundation
import Testing
import VhostTestFrontEnd

/// A front-end that is a real process, SIGKILLed: the kernel closes its socket and memfd, the
/// engine must drop the guest memory it mapped from it (docs/connections.md, "Restarts and churn").
/// The process is a few lines of Python speaking just enough vhost-user to hand over a memory
/// table (GET_FEATURES, SET_OWNER, SET_MEM_TABLE with a memfd) and then wait to be killed.
@Suite(.serialized) struct KilledFrontEndProcessTests {
    static let script = """
        import os, socket, struct, sys, time
        path, name = sys.argv[1], sys.argv[2]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        def msg(req, payload=b"", fds=()):
            data = struct.pack("<III", req, 1, len(payload)) + payload
            socket.send_fds(s, [data], list(fds)) if fds else s.sendall(data)
        msg(1)                                   # GET_FEATURES
        hdr = s.recv(12); s.recv(struct.unpack("<III", hdr)[2])
        msg(3)                                   # SET_OWNER
        size = 1 << 20
        fd = os.memfd_create(name, 0); os.ftruncate(fd, size)
        msg(5, struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0, size, 0x7f0000000000, 0), [fd])
        print("ready", flush=True)
        time.sleep(60)
        """

    static func mappings(named name: String) -> Int {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return -1 }
        return maps.split(separator: "\n").filter { $0.contains("memfd:\(name)") }.count
    }

    @Test func sigkilledFrontEndProcessIsUnmappedAndClosedAndThePortServesTheNextOne() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 1)), ("b", .access(vlan: 1))])
        let b = try h.connect("b")
        let name = "connect-py-\(UInt32.random(in: 0 ... .max))"

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        child.arguments = ["-c", Self.script, h.socketPath("a"), name]
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        #expect(ChurnTests.eventually(seconds: 5) { Self.mappings(named: name) == 1 },
                "the engine mapped the child's guest memory (positive control)")
        // The engine's end of the child's connection, found through the socket pair (a count of
        // this process's descriptors would also see suites running in parallel).
        let engineEnd = ConnectionDescriptors.socketInodes(pid: child.processIdentifier)
            .lazy.compactMap(ConnectionDescriptors.peerInode(of:)).first
        #expect(engineEnd != nil, "the child's socket is paired with one of ours")
        if let engineEnd {
            #expect(ConnectionDescriptors.descriptors(ofSocket: engineEnd) == 1, "and the engine holds it (positive control)")
        }

        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(ChurnTests.eventually { Self.mappings(named: name) == 0 }, "unmapped after the kill")
        #expect(ChurnTests.memfdDescriptors(named: name) == 0, "no descriptor of its memory left")
        if let engineEnd {
            #expect(ChurnTests.eventually { ConnectionDescriptors.descriptors(ofSocket: engineEnd) == 0 },
                    "the engine closed its end of the connection")
        }
        let state = try h.engine.perform { e in e.portRuntime().first { $0.spec.name == "a" }?.state.description }.get()
        #expect(state == "listening")

        // The port takes the next front-end and forwards its traffic.
        let a = try TestFrontEnd(connectingTo: h.socketPath("a"))
        try a.negotiate()
        try a.start()
        let frame = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(0xA7))
        var arrived = false
        for _ in 0..<40 where !arrived {
            _ = a.reclaimTransmitted()
            try a.send(frame: frame)
            usleep(20_000)
            arrived = try b.receivedFrames().contains(frame)
        }
        #expect(arrived)
        a.disconnect()
    }
}
