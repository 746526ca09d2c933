import CNetlink

extension LinkInfo {
    /// Copies what we need out of a libnl rtnl_link (the object stays owned by the caller).
    init(link: OpaquePointer) {
        let name = rtnl_link_get_name(link).map { String(cString: $0) } ?? ""
        var mac: [UInt8] = []
        if let addr = rtnl_link_get_addr(link), let bytes = nl_addr_get_binary_addr(addr) {
            let length = Int(nl_addr_get_len(addr))
            mac = Array(UnsafeRawBufferPointer(start: bytes, count: length))
        }
        self.init(name: name,
                  index: rtnl_link_get_ifindex(link),
                  flags: LinkFlags(rawValue: rtnl_link_get_flags(link)),
                  mtu: rtnl_link_get_mtu(link),
                  mac: mac,
                  hasCarrier: rtnl_link_get_carrier(link) != 0)
    }
}
