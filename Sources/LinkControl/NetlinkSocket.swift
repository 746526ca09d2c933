import CNetlink

/// An owned, connected NETLINK_ROUTE libnl socket, freed exactly once.
final class NetlinkSocket {
    let handle: OpaquePointer

    init() throws(NetlinkError) {
        guard let sock = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: NLE_NOMEM) }
        let rc = nl_connect(sock, NETLINK_ROUTE)
        guard rc == 0 else {
            nl_socket_free(sock)
            throw NetlinkError("nl_connect", code: rc)
        }
        handle = sock
    }

    /// Takes ownership of an allocated, possibly unconnected socket.
    init(adopting sock: OpaquePointer) { handle = sock }

    deinit { nl_socket_free(handle) }
}
