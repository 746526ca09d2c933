import CNetlink

/// Lists and configures network interfaces over rtnetlink (libnl-route).
///
/// The uplink needs its interface up and promiscuous (a switch port must see frames for every
/// guest MAC). Whatever this object changes it remembers, per interface, as the state it found;
/// `restore` puts those bits back so the daemon leaves the host as it found it on shutdown.
public final class NetlinkLinks {
    private let socket: NetlinkSocket
    /// Original state of the flags we changed (`.up`, `.promiscuous`), per interface name.
    var original: [String: (mask: LinkFlags, flags: LinkFlags)] = [:]

    public init() throws(NetlinkError) {
        socket = try NetlinkSocket()
    }

    /// Every interface in this network namespace, by ascending index.
    public func list() throws(NetlinkError) -> [LinkInfo] {
        var cache: OpaquePointer?
        let rc = rtnl_link_alloc_cache(socket.handle, AF_UNSPEC, &cache)
        guard rc == 0, let cache else { throw NetlinkError("rtnl_link_alloc_cache", code: rc) }
        defer { nl_cache_free(cache) }
        var links: [LinkInfo] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            links.append(LinkInfo(link: current))
            object = nl_cache_get_next(current)
        }
        return links.sorted { $0.index < $1.index }
    }

    /// The interface called `name`, or nil when there is none.
    public func link(named name: String) throws(NetlinkError) -> LinkInfo? {
        do {
            return try withKernelLink(named: name) { LinkInfo(link: $0) }
        } catch where error.isNoSuchLink {
            return nil
        }
    }

    public func mtu(of name: String) throws(NetlinkError) -> UInt32 {
        try withKernelLink(named: name) { rtnl_link_get_mtu($0) }
    }

    /// Brings `name` administratively up (or down).
    public func setUp(_ name: String, _ up: Bool = true) throws(NetlinkError) {
        try change(name, flag: .up, on: up)
    }

    /// Turns promiscuous mode on or off for `name`.
    public func setPromiscuous(_ name: String, _ on: Bool) throws(NetlinkError) {
        try change(name, flag: .promiscuous, on: on)
    }

    /// Puts back the flags this object changed on `name` as it first found them.
    public func restore(_ name: String) throws(NetlinkError) {
        guard let saved = original[name] else { return }
        for flag in [LinkFlags.promiscuous, .up] where saved.mask.contains(flag) {
            try apply(name, flag: flag, on: saved.flags.contains(flag))
        }
        original[name] = nil
    }

    /// Drops what was remembered about `name` without touching it: the interface vanished, and
    /// an interface created later under the same name starts from its own flags.
    public func forget(_ name: String) {
        original[name] = nil
    }

    private func change(_ name: String, flag: LinkFlags, on: Bool) throws(NetlinkError) {
        let before = try withKernelLink(named: name) { LinkFlags(rawValue: rtnl_link_get_flags($0)) }
        var saved = original[name] ?? (mask: [], flags: [])
        if !saved.mask.contains(flag) {
            saved.mask.insert(flag)
            if before.contains(flag) { saved.flags.insert(flag) }
        }
        try apply(name, flag: flag, on: on)
        original[name] = saved
    }

    private func apply(_ name: String, flag: LinkFlags, on: Bool) throws(NetlinkError) {
        guard let request = rtnl_link_alloc() else { throw NetlinkError("rtnl_link_alloc", code: NLE_NOMEM) }
        defer { rtnl_link_put(request) }
        if on { rtnl_link_set_flags(request, flag.rawValue) } else { rtnl_link_unset_flags(request, flag.rawValue) }
        try withKernelLink(named: name) { (current) throws(NetlinkError) in
            let rc = rtnl_link_change(socket.handle, current, request, 0)
            guard rc == 0 else { throw NetlinkError("rtnl_link_change \(name)", code: rc) }
        }
    }

    /// Fetches `name` fresh from the kernel (no cache to go stale) and lends it to `body`.
    private func withKernelLink<T>(named name: String, _ body: (OpaquePointer) throws(NetlinkError) -> T)
        throws(NetlinkError) -> T {
        var link: OpaquePointer?
        let rc = rtnl_link_get_kernel(socket.handle, 0, name, &link)
        guard rc == 0, let link else {
            throw rc == 0 ? NetlinkError.noSuchLink(name) : NetlinkError("get link \(name)", code: rc)
        }
        defer { rtnl_link_put(link) }
        return try body(link)
    }
}
