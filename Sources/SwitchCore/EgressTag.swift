/// How a frame leaves a port: with an 802.1Q tag carrying `vid`, or untagged.
@frozen
public struct EgressTag: Sendable, Equatable {
    public var tagged: Bool
    public var vid: UInt16

    @inlinable
    public init(tagged: Bool, vid: UInt16) {
        self.tagged = tagged
        self.vid = vid
    }

    /// Computed, not a stored `static let`: a global would cost a lazy-initialisation check per frame.
    @inlinable public static var untagged: EgressTag { EgressTag(tagged: false, vid: 0) }
}
