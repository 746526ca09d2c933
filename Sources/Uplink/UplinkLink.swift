import LinkControl
import LinuxIO

/// The uplink's control side: finds the interface by name over rtnetlink (libnl), brings it up
/// and promiscuous (a switch port must see frames for every guest MAC), opens the `UplinkSocket`
/// on it, and follows link notifications so the port's state tracks the carrier. The flags it
/// changed are put back by `close()`.
///
/// An interface that is missing or vanishes is a state of this port (`noSuchInterface`), never an
/// error of the switch: when an interface of that name appears (its ifindex may be new), the
/// socket is opened on it and traffic resumes.
///
/// Cold path only: the engine calls `handleEvents()` when `eventFileDescriptor` is readable and
/// `refresh()` from housekeeping while the state is not `.up`.
public final class UplinkLink {
    public let interfaceName: String
    public let configuration: UplinkConfiguration
    public private(set) var state: UplinkState = .noSuchInterface
    /// Open while the interface exists (in `.up` and `.linkDown`); replaced when it is recreated.
    public private(set) var socket: UplinkSocket?
    public private(set) var mtu = 0
    /// Why the port is not up, for logs and `yardctl` (nil when up).
    public private(set) var reason: String?

    private let links: NetlinkLinks
    private let monitor: LinkEventMonitor

    /// What a `refresh` or `handleEvents` changed, so the engine knows what to re-register.
    public struct Changes: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let state = Changes(rawValue: 1)
        /// `socket` is a different object (or nil) now: remove the old fd from epoll, add the new.
        public static let socket = Changes(rawValue: 2)
    }

    /// Throws only if rtnetlink itself cannot be used; a missing interface is a state.
    public init(interface name: String, configuration: UplinkConfiguration = UplinkConfiguration())
        throws(UplinkError) {
        guard !name.isEmpty, name.utf8.count < 16 else {
            throw UplinkError("uplink interface", reason: "'\(name)' is not a valid interface name")
        }
        try configuration.validate()
        interfaceName = name
        self.configuration = configuration
        do {
            // Subscribe before the first look-up so no change between the two is missed.
            monitor = try LinkEventMonitor()
            links = try NetlinkLinks()
        } catch {
            throw UplinkError("rtnetlink", reason: error.description)
        }
        refresh()
    }

    deinit { close() }

    /// The rtnetlink notification socket: readable when some link changed.
    public var eventFileDescriptor: Int32 { monitor.fileDescriptor }

    /// Reads pending link notifications; re-reads our interface if any concern it.
    @discardableResult
    public func handleEvents() -> Changes {
        let events = monitor.drainEvents()
        let index = socket?.interfaceIndex ?? 0
        var relevant = monitor.needsResync
        monitor.needsResync = false
        for event in events where event.name == interfaceName || (index > 0 && event.index == index) {
            relevant = true
        }
        return relevant ? refresh() : []
    }

    /// Re-reads the interface from the kernel and moves to the state it is in, opening or
    /// reopening the socket as needed.
    @discardableResult
    public func refresh() -> Changes {
        let before = state
        let hadSocket = socket.map { ObjectIdentifier($0) }
        apply(lookUp())
        var changes: Changes = []
        if state != before { changes.insert(.state) }
        if socket.map({ ObjectIdentifier($0) }) != hadSocket { changes.insert(.socket) }
        return changes
    }

    /// Closes the socket and puts back the interface flags this port changed (best effort: the
    /// interface may be gone).
    public func close() {
        socket = nil
        do { try links.restore(interfaceName) } catch { links.forget(interfaceName) }
        state = .noSuchInterface
        reason = "closed"
    }

    private enum LookUp {
        case missing
        case present(LinkInfo)
        case failed(UplinkError)
    }

    private func lookUp() -> LookUp {
        do {
            guard let info = try links.link(named: interfaceName) else { return .missing }
            return .present(info)
        } catch {
            return .failed(UplinkError("look up \(interfaceName)", reason: error.description))
        }
    }

    private func apply(_ found: LookUp) {
        switch found {
        case .failed(let error):
            // rtnetlink trouble says nothing about the interface: keep the socket, report it.
            reason = error.description
        case .missing:
            if socket != nil { links.forget(interfaceName) }
            socket = nil
            state = .noSuchInterface
            reason = "interface \(interfaceName) does not exist"
        case .present(let info):
            if let open = socket, open.interfaceIndex == info.index {
                follow(info, socket: open)
            } else {
                open()
            }
        }
    }

    /// (Re)opens on a newly found interface: up, promiscuous, MTU, socket.
    private func open() {
        if socket != nil { links.forget(interfaceName) }
        socket = nil
        do {
            try links.setUp(interfaceName)
            try links.setPromiscuous(interfaceName, true)
            guard let info = try links.link(named: interfaceName) else {
                apply(.missing)
                return
            }
            let opened = try openSocket(info)
            socket = opened
            follow(info, socket: opened)
        } catch let error as NetlinkError where error.isNoSuchLink {
            apply(.missing)
        } catch let error as NetlinkError {
            fail(UplinkError("set up \(interfaceName)", reason: error.description))
        } catch let error as UplinkError {
            fail(error)
        } catch {
            fail(UplinkError("set up \(interfaceName)", reason: "\(error)"))
        }
    }

    private func openSocket(_ info: LinkInfo) throws(UplinkError) -> UplinkSocket {
        try UplinkSocket(interfaceIndex: info.index, mtu: Int(info.mtu), configuration: configuration)
    }

    private func fail(_ error: UplinkError) {
        socket = nil
        state = .failed(error)
        reason = error.description
    }

    /// Same interface as before: follow its carrier and MTU.
    private func follow(_ info: LinkInfo, socket: UplinkSocket) {
        mtu = Int(info.mtu)
        socket.mtu = mtu
        if info.isUp && info.hasCarrier {
            if state != .up {
                // Going down set ENETDOWN on the socket; clear it so epoll stops reporting it.
                socket.clearPendingError()
            }
            state = .up
            reason = nil
        } else {
            state = .linkDown
            reason = info.isUp ? "no carrier on \(interfaceName)" : "\(interfaceName) is administratively down"
        }
    }
}
