import Datapath
import Foundation
import LinuxIO
import Logging
import SwitchCore
import Testing
import VhostTestFrontEnd

/// A real engine on its own thread with vhost-user ports in server mode on private sockets, and
/// in-process front-ends playing QEMU against them.
final class SwitchHarness {
    let engine: Engine
    let directory: String
    private(set) var frontEnds: [String: TestFrontEnd] = [:]

    init(ports: [(name: String, vlan: PortMode)], mtu: Int = 1500) throws {
        directory = NSTemporaryDirectory() + "sy-dp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        engine = try Engine(configuration: EngineConfiguration(), logger: logger)
        try engine.start()
        for p in ports {
            let spec = PortSpecification(name: p.name, kind: .vhostUser(socketPath: socketPath(p.name), mode: .server, queuePairs: 1),
                                         vlan: p.vlan, macLimit: nil, mtu: mtu)
            let result = try engine.perform { $0.addPort(spec) }.get()
            try result.get()
        }
    }

    func socketPath(_ name: String) -> String { "\(directory)/\(name).sock" }

    /// Connects a front-end to `port` and starts its rings, like QEMU when the guest driver loads.
    @discardableResult
    func connect(_ port: String, options: TestFrontEnd.Options = TestFrontEnd.Options()) throws -> TestFrontEnd {
        let fe = try TestFrontEnd(connectingTo: socketPath(port), options: options)
        try fe.negotiate()
        try fe.start()
        try fe.sync()
        frontEnds[port] = fe
        return fe
    }

    func frontEnd(_ port: String) throws -> TestFrontEnd {
        try #require(frontEnds[port])
    }

    /// Everything `port`'s guest receives within `timeout`, waiting until `expected` frames came.
    func receive(_ port: String, expected: Int, timeout: Double = 2) throws -> [[UInt8]] {
        let fe = try frontEnd(port)
        var frames: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            frames += try fe.receivedFrames()
            if frames.count >= expected && expected > 0 { break }
            usleep(2_000)
        }
        return frames
    }

    /// Lets in-flight frames settle, then asserts nothing (more) arrived at `port`.
    func receivesNothing(_ port: String) throws -> Bool {
        try receive(port, expected: 0, timeout: 0.2).isEmpty
    }

    func counters(_ port: String) throws -> SwitchCore.PortCounters {
        let c = try engine.perform { e -> SwitchCore.PortCounters? in
            guard let i = e.portIndex(named: port) else { return nil }
            return e.bridge.counters(port: i)
        }.get()
        return try #require(c)
    }

    deinit {
        for fe in frontEnds.values { fe.disconnect() }
        engine.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Ethernet frames for tests.
enum HarnessFrames {
    static func mac(_ last: UInt8) -> [UInt8] { [0x52, 0x54, 0x00, 0x00, 0x00, last] }
    static let broadcast: [UInt8] = Array(repeating: 0xFF, count: 6)

    /// dst, src, [802.1Q tag], ethertype 0x0800 (IPv4, as far as a switch cares), payload pattern.
    static func make(to dst: [UInt8], from src: [UInt8], vlan: UInt16? = nil, pcp: UInt8 = 0, length: Int = 64) -> [UInt8] {
        var f = dst + src
        if let vlan {
            f += [0x81, 0x00, UInt8(pcp << 5) | UInt8(vlan >> 8), UInt8(vlan & 0xFF)]
        }
        f += [0x08, 0x00]
        while f.count < length { f.append(UInt8(truncatingIfNeeded: f.count * 7)) }
        return f
    }

    /// The same frame with its 802.1Q tag removed / added.
    static func untag(_ f: [UInt8]) -> [UInt8] { Array(f[0..<12] + f[16...]) }
    static func tag(_ f: [UInt8], vlan: UInt16, pcp: UInt8 = 0) -> [UInt8] {
        Array(f[0..<12]) + [0x81, 0x00, UInt8(pcp << 5) | UInt8(vlan >> 8), UInt8(vlan & 0xFF)] + Array(f[12...])
    }
}
