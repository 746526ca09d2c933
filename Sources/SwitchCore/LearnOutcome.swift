/// What `ForwardingDatabase.learn` did with a source address.
public enum LearnOutcome: UInt8, Sendable {
    /// Already known on this port; its age was reset.
    case refreshed
    /// A new entry.
    case learned
    /// Known on another port; moved here (a station moved, or a loop / spoofing: see `moved`).
    case moved
    /// New to this port, but the port holds its MAC limit. Nothing changed; drop the frame.
    case limitReached
    /// A static entry pins this address to another port; learning never overrides it.
    case pinnedByStatic
    /// Table full and nothing evictable (all static). The frame may still be forwarded.
    case tableFull
    /// VLAN outside 1...4094, port outside the table, or a multicast address.
    case rejected
    /// Learned on a port with a `source-macs` allow-list that admits it; a port without an
    /// allow-list may not take it (docs/port-security.md). Nothing changed; drop the frame.
    case securedElsewhere

    /// `limitReached`, `tableFull` or `securedElsewhere`: one shift and test on the hot path.
    @inlinable @inline(__always)
    var isRefusalOrFull: Bool {
        (UInt8(1) << LearnOutcome.limitReached.rawValue | UInt8(1) << LearnOutcome.tableFull.rawValue
            | UInt8(1) << LearnOutcome.securedElsewhere.rawValue) >> rawValue & 1 != 0
    }
}
