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

    public static let untagged = EgressTag(tagged: false, vid: 0)
}
