import CNetlink

/// A non-blocking rtnetlink socket subscribed to RTNLGRP_LINK. Put `fileDescriptor` in an Epoll;
/// when it is readable call `drainEvents()`.
///
/// Netlink multicast is lossy: when the socket buffer overflows the kernel drops notifications
/// and reports ENOBUFS once. Then `needsResync` becomes true and the owner should re-read the
/// full state with `NetlinkLinks.list()` (and reset the flag).
public final class LinkEventMonitor {
    private let socket: NetlinkSocket
    private let callbacks: OpaquePointer
    private let collector: Collector
    public var needsResync = false

    /// Where the C callbacks put what they parse; owned by the monitor, lent to libnl as `arg`.
    final class Collector {
        var events: [LinkEvent] = []
    }

    public init(receiveBufferBytes: Int32 = 1 << 20) throws(NetlinkError) {
        guard let sock = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: NLE_NOMEM) }
        // Adopt before anything can fail so the socket is freed on every path.
        let owned = NetlinkSocket(adopting: sock)
        var rc = nl_connect(sock, NETLINK_ROUTE)
        guard rc == 0 else { throw NetlinkError("nl_connect", code: rc) }
        rc = nl_socket_add_membership(sock, Int32(RTNLGRP_LINK.rawValue))
        guard rc == 0 else { throw NetlinkError("add_membership RTNLGRP_LINK", code: rc) }
        rc = nl_socket_set_nonblocking(sock)
        guard rc == 0 else { throw NetlinkError("set_nonblocking", code: rc) }
        _ = nl_socket_set_buffer_size(sock, receiveBufferBytes, 0)
        guard let cb = nl_cb_alloc(NL_CB_DEFAULT) else { throw NetlinkError("nl_cb_alloc", code: NLE_NOMEM) }
        // Notifications carry sequence number 0; libnl's default check would reject them
        // (NLE_SEQ_MISMATCH). nl_socket_disable_seq_check only edits the socket's own callbacks,
        // not this set, so the check is switched off here.
        nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, { _, _ in Int32(NL_OK.rawValue) }, nil)
        let collector = Collector()
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, { message, arg in
            guard let message, let arg else { return Int32(NL_SKIP.rawValue) }
            _ = nl_msg_parse(message, { object, arg in
                guard let object, let arg else { return }
                let collector = Unmanaged<LinkEventMonitor.Collector>.fromOpaque(arg).takeUnretainedValue()
                let info = LinkInfo(link: object)
                let removed = nl_object_get_msgtype(object) == Int32(RTM_DELLINK)
                collector.events.append(LinkEvent(kind: removed ? .removed : .changed, name: info.name,
                                                  index: info.index, flags: info.flags,
                                                  hasCarrier: info.hasCarrier))
            }, arg)
            return Int32(NL_OK.rawValue)
        }, Unmanaged.passUnretained(collector).toOpaque())
        self.socket = owned
        self.callbacks = cb
        self.collector = collector
    }

    deinit { nl_cb_put(callbacks) }

    public var fileDescriptor: Int32 { nl_socket_get_fd(socket.handle) }

    /// Reads every pending notification without blocking, oldest first.
    public func drainEvents() -> [LinkEvent] {
        while true {
            let rc = nl_recvmsgs_report(socket.handle, callbacks)
            if rc > 0 { continue }
            // ENOBUFS arrives as NLE_NOMEM: notifications were dropped, state must be re-read.
            if rc == -NLE_NOMEM { needsResync = true; continue }
            break
        }
        let events = collector.events
        collector.events.removeAll(keepingCapacity: true)
        return events
    }
}
