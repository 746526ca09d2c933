/// Flags a port that keeps taking addresses learned on other ports — a loop, or a guest spoofing
/// its neighbours — what OVS logs as "MAC flapping" (docs/port-security.md). Moves are not
/// blocked (a migrated VM must be relearned at once); they are reported, at most once a minute
/// per port. Pure: fed the port's move counter (`ForwardingDatabase.moves(port:)`) and the time.
public struct MACFlapDetector: Sendable {
    /// Moves into one port between two checks (the engine checks once a second) that count as
    /// flapping: one migration moves one address per VLAN, a handful at most.
    public static let threshold: UInt64 = 10
    public static let quietSeconds: UInt32 = 60

    private var seen: UInt64 = 0
    private var lastReport: UInt32?

    public init() {}

    /// The moves since the previous call when they reach the threshold and the port was not
    /// reported in the last `quietSeconds`; nil otherwise.
    public mutating func check(totalMoves: UInt64, now: UInt32) -> UInt64? {
        let moves = totalMoves &- seen
        seen = totalMoves
        guard moves >= MACFlapDetector.threshold else { return nil }
        if let last = lastReport, now &- last < MACFlapDetector.quietSeconds { return nil }
        lastReport = now
        return moves
    }
}
