#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import LinkControl
import SwitchCore

/// Where libnl's receive callback puts the messages it is handed, parsed; lent to libnl as `arg`.
final class FDBMessageCollector {
    var messages: [BridgeFDBMessage] = []

    /// The NL_CB_VALID callback: every message of a dump or a notification, parsed from its bytes.
    static let receive: nl_recvmsg_msg_cb_t = { message, arg in
        guard let message, let arg, let header = nlmsg_hdr(message) else { return Int32(NL_SKIP.rawValue) }
        let collector = Unmanaged<FDBMessageCollector>.fromOpaque(arg).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: header, count: Int(header.pointee.nlmsg_len))
        if let parsed = BridgeFDBMessage(message: bytes) { collector.messages.append(parsed) }
        return Int32(NL_OK.rawValue)
    }

    func take() -> [BridgeFDBMessage] {
        defer { messages.removeAll(keepingCapacity: true) }
        return messages
    }
}

/// Reads and writes the kernel bridge FDB over rtnetlink: the whole AF_BRIDGE table (a dump),
/// and static entries on a bridge port (`bridge fdb add|del MAC dev PORT master static`). Blocking
/// requests the kernel answers at once; notifications are `BridgeFDBMonitor`'s.
public final class BridgeFDBNetlink {
    private let socket: OpaquePointer
    private let collector = FDBMessageCollector()

    public init() throws(NetlinkError) {
        guard let sock = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: NLE_NOMEM) }
        let rc = nl_connect(sock, NETLINK_ROUTE)
        guard rc == 0 else { nl_socket_free(sock); throw NetlinkError("nl_connect", code: rc) }
        nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, FDBMessageCollector.receive,
                            Unmanaged.passUnretained(collector).toOpaque())
        socket = sock
    }

    deinit { nl_socket_free(socket) }

    /// Every AF_BRIDGE FDB entry of the namespace (all bridges' and all VXLAN devices').
    public func dump() throws(NetlinkError) -> [BridgeFDBMessage] {
        var request = ndmsg()
        request.ndm_family = BridgeFDBMessage.familyBridge
        _ = collector.take()  // whatever an earlier failed request left behind
        var rc = nl_send_simple(socket, Int32(RTM_GETNEIGH), NLM_F_DUMP, &request, MemoryLayout<ndmsg>.size)
        guard rc >= 0 else { throw NetlinkError("RTM_GETNEIGH dump", code: rc) }
        // Every part of the multipart reply, up to NLMSG_DONE, through the NL_CB_VALID callback.
        rc = nl_recvmsgs_default(socket)
        let entries = collector.take()
        guard rc >= 0 else { throw NetlinkError("RTM_GETNEIGH dump receive", code: rc) }
        return entries
    }

    /// A static entry for `mac` on bridge port `portIndex` (NUD_NOARP: not local, never aged;
    /// zebra advertises it). Replaces an entry of the same MAC, as `bridge fdb replace` does.
    public func addStatic(_ mac: MACAddress, portIndex: Int32) throws(NetlinkError) {
        try request(RTM_NEWNEIGH, flags: NLM_F_CREATE | NLM_F_REPLACE, mac: mac, portIndex: portIndex,
                    state: BridgeFDBMessage.stateNoARP, what: "add")
    }

    /// Removes the entry; one that is gone already (the bridge flushed it) is no error.
    public func remove(_ mac: MACAddress, portIndex: Int32) throws(NetlinkError) {
        do {
            try request(RTM_DELNEIGH, flags: 0, mac: mac, portIndex: portIndex, state: 0, what: "delete")
        } catch where error.code == NLE_OBJ_NOTFOUND {
        }
    }

    private func request(_ type: Int, flags: Int32, mac: MACAddress, portIndex: Int32, state: UInt16,
                         what: String) throws(NetlinkError) {
        guard let message = nlmsg_alloc_simple(Int32(type), flags) else { throw NetlinkError("nlmsg_alloc", code: NLE_NOMEM) }
        defer { nlmsg_free(message) }
        var header = ndmsg()
        header.ndm_family = BridgeFDBMessage.familyBridge
        header.ndm_ifindex = portIndex
        header.ndm_state = state
        // NTF_MASTER: the bridge's FDB, not the port device's own address list.
        header.ndm_flags = BridgeFDBMessage.flagMaster
        var rc = nlmsg_append(message, &header, MemoryLayout<ndmsg>.size, Int32(NLMSG_ALIGNTO))
        guard rc == 0 else { throw NetlinkError("nlmsg_append", code: rc) }
        var address = (0..<6).map { UInt8(truncatingIfNeeded: mac.rawValue >> (40 - 8 * UInt64($0))) }
        rc = nla_put(message, Int32(NDA_LLADDR), 6, &address)
        guard rc == 0 else { throw NetlinkError("nla_put NDA_LLADDR", code: rc) }
        rc = nl_send_auto(socket, message)
        guard rc >= 0 else { throw NetlinkError("fdb \(what) \(mac)", code: rc) }
        rc = nl_wait_for_ack(socket)
        _ = collector.take()
        guard rc >= 0 else { throw NetlinkError("fdb \(what) \(mac)", code: rc) }
    }
}

/// A non-blocking rtnetlink socket subscribed to RTNLGRP_NEIGH: put `fileDescriptor` in an epoll,
/// call `drain()` when readable. On ENOBUFS (notifications lost) `needsResync` becomes true: the
/// owner dumps again (`BridgeFDBNetlink.dump`) and resets it.
public final class BridgeFDBMonitor {
    private let socket: OpaquePointer
    private let callbacks: OpaquePointer
    private let collector = FDBMessageCollector()
    public var needsResync = false

    public init(receiveBufferBytes: Int32 = 1 << 20) throws(NetlinkError) {
        guard let sock = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: NLE_NOMEM) }
        var rc = nl_connect(sock, NETLINK_ROUTE)
        if rc == 0 { rc = nl_socket_add_membership(sock, Int32(RTNLGRP_NEIGH.rawValue)) }
        if rc == 0 { rc = nl_socket_set_nonblocking(sock) }
        guard rc == 0, let cb = nl_cb_alloc(NL_CB_DEFAULT) else {
            nl_socket_free(sock)
            throw NetlinkError("neighbour monitor socket", code: rc == 0 ? NLE_NOMEM : rc)
        }
        _ = nl_socket_set_buffer_size(sock, receiveBufferBytes, 0)
        // Notifications carry sequence number 0 (LinkEventMonitor.swift says why this is needed).
        nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, { _, _ in Int32(NL_OK.rawValue) }, nil)
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, FDBMessageCollector.receive, Unmanaged.passUnretained(collector).toOpaque())
        socket = sock
        callbacks = cb
    }

    deinit {
        nl_cb_put(callbacks)
        nl_socket_free(socket)
    }

    public var fileDescriptor: Int32 { nl_socket_get_fd(socket) }

    /// Every pending notification, oldest first, without blocking.
    public func drain() -> [BridgeFDBMessage] {
        while true {
            let rc = nl_recvmsgs_report(socket, callbacks)
            if rc > 0 { continue }
            if rc == -NLE_NOMEM { needsResync = true; continue }
            break
        }
        return collector.take()
    }
}
