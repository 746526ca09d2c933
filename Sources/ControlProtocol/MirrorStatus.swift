/// One mirror in `yardctl mirrors` (docs/mirroring.md).
public struct MirrorStatus: Codable, Sendable, Equatable {
    public var name: String
    public var output: String
    /// False while the output port is missing: nothing is copied.
    public var active: Bool
    /// Copies the output port took.
    public var copied: UInt64
    /// Copies the output port could not take (full ring, down, too long): the originals went on.
    public var dropped: UInt64

    public init(name: String, output: String, active: Bool, copied: UInt64, dropped: UInt64) {
        self.name = name
        self.output = output
        self.active = active
        self.copied = copied
        self.dropped = dropped
    }
}
