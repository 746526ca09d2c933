/// One rtnetlink link notification (RTM_NEWLINK / RTM_DELLINK), reduced to what the uplink needs.
public struct LinkEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case changed, removed }

    public var kind: Kind
    public var name: String
    public var index: Int32
    public var flags: LinkFlags
    public var hasCarrier: Bool

    public init(kind: Kind, name: String, index: Int32, flags: LinkFlags, hasCarrier: Bool) {
        self.kind = kind
        self.name = name
        self.index = index
        self.flags = flags
        self.hasCarrier = hasCarrier
    }

    public var isUp: Bool { flags.contains(.up) }
    public var isRunning: Bool { flags.contains(.running) }

    public var description: String {
        "\(kind) \(index):\(name) up=\(isUp) running=\(isRunning) carrier=\(hasCarrier)"
    }
}
