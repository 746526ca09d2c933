#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

/// All vhost-user tests run one at a time: several count descriptors and mappings of the process.
@Suite(.serialized) struct VhostUserTests {}

/// Records every delegate call; `ringStopping` answers with `stopIndex` if set, else the start index.
final class RecordingDelegate: VhostUserDeviceDelegate {
    enum Event: Equatable {
        case connected, started(Int), stopping(Int), memoryWillChange, memoryDidChange, disconnected, rarp([UInt8])
        case lostMemory([Int])
    }
    var events: [Event] = []
    var configurations: [Int: RingConfiguration] = [:]
    var stopIndex: UInt16?

    func deviceConnected(device: VhostUserDevice) { events.append(.connected) }
    func ringStarted(device: VhostUserDevice, index: Int, configuration: RingConfiguration) {
        events.append(.started(index))
        configurations[index] = configuration
    }
    func ringStopping(device: VhostUserDevice, index: Int) -> UInt16 {
        events.append(.stopping(index))
        let next = configurations[index]?.nextAvailableIndex ?? 0
        configurations[index] = nil
        return stopIndex ?? next
    }
    func memoryWillChange(device: VhostUserDevice) { events.append(.memoryWillChange) }
    func memoryDidChange(device: VhostUserDevice) { events.append(.memoryDidChange) }
    func deviceDisconnected(device: VhostUserDevice) { events.append(.disconnected) }
    func sendRARP(device: VhostUserDevice, mac: [UInt8]) { events.append(.rarp(mac)) }
    func ringsLostMemory(device: VhostUserDevice, rings: [Int]) { events.append(.lostMemory(rings)) }

    func started() -> [Int] { events.compactMap { if case .started(let i) = $0 { return i } else { return nil } } }
    var runningRings: [Int] { configurations.keys.sorted() }
}

/// A one-thread stand-in for the datapath engine: an epoll, endpoints by token, a non-blocking turn.
final class TestEngine {
    let epoll: Epoll
    var endpoints: [UInt64: VhostUserEndpoint] = [:]

    init() throws { epoll = try Epoll() }

    @discardableResult
    func add(_ mode: VhostUserEndpoint.Mode, device: VhostUserDevice) -> VhostUserEndpoint {
        let token = UInt64(endpoints.count + 1)
        let e = VhostUserEndpoint(mode: mode, device: device, epoll: epoll, token: token)
        endpoints[token] = e
        return e
    }

    func pump() {
        for event in epoll.wait(timeoutMilliseconds: 0) {
            endpoints[event.token]?.handle(events: event.readyEvents)
        }
        for e in endpoints.values { e.handleTimers() }
    }

    func pump(times: Int) { for _ in 0..<times { pump() } }
}

/// A device on one end of a socketpair, with a front-end on the other end pumping the engine.
struct PairedSetup {
    let engine: TestEngine
    let delegate: RecordingDelegate
    let device: VhostUserDevice
    let endpoint: VhostUserEndpoint
    let frontEnd: TestFrontEnd

    init(configuration: VhostUserDevice.Configuration = .init(), options: TestFrontEnd.Options = .init(),
         engine: TestEngine? = nil, name: String = "port0") throws {
        let engine = try engine ?? TestEngine()
        self.engine = engine
        delegate = RecordingDelegate()
        device = VhostUserDevice(name: name, configuration: configuration, delegate: delegate)
        endpoint = engine.add(.standalone, device: device)
        let (ours, theirs) = try UnixSocket.pair()
        endpoint.adopt(ours)
        frontEnd = try TestFrontEnd(socket: theirs, options: options, pump: { engine.pump() })
    }
}

func uniqueName(_ base: String) -> String { "\(base)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

func openDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// Mappings of a memfd called `name` in this process.
func mappingCount(of name: String) -> Int {
    guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return -1 }
    return maps.split(separator: "\n").filter { $0.contains("memfd:\(name)") }.count
}

func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

/// One end of a socket pair to hand over as a received descriptor, and the other end, which sees
/// end-of-file once every copy of the first is closed. Unlike probing the number with
/// `isOpen`, this cannot be fooled by a parallel test reusing the number, and it waits for the
/// descriptor closer thread (docs/never-blocking.md).
func handedOverSocket() throws -> (handed: OwnedFileDescriptor, peer: OwnedFileDescriptor) {
    var pair: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
        throw Errno.current
    }
    return (OwnedFileDescriptor(adopting: pair[0]), OwnedFileDescriptor(adopting: pair[1]))
}

/// Whether `peer` sees its other end closed within `seconds`.
func seesClose(_ peer: OwnedFileDescriptor, within seconds: Int32 = 2) -> Bool {
    var p = pollfd(fd: peer.rawValue, events: Int16(POLLIN), revents: 0)
    guard poll(&p, 1, seconds * 1000) == 1 else { return false }
    var byte: UInt8 = 0
    return read(peer.rawValue, &byte, 1) == 0
}

func temporarySocketPath(_ tag: String) -> String { "/tmp/\(uniqueName("vhu-\(tag)")).sock" }

/// Polls `condition` for up to `seconds`.
func eventually(seconds: Double = 2, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
