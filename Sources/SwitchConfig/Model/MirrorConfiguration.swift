/// One `mirrors:` entry (docs/mirroring.md): copies of the frames it selects go to `output`, a
/// port dedicated to receiving them. The selections add up: a frame is copied if any of them
/// selects it, and at most once per mirror.
public struct MirrorConfiguration: Equatable, Sendable {
    public var name: String
    /// The port that receives the copies; it sends nothing of its own into the switch.
    public var output: String
    /// Frames received from these ports.
    public var sourcePorts: [String]
    /// Frames the switch sends to these ports.
    public var destinationPorts: [String]
    /// Frames in these VLANs, whichever port they come from or go to. Sorted, unique.
    public var vlans: [UInt16]

    public init(name: String, output: String, sourcePorts: [String] = [], destinationPorts: [String] = [],
                vlans: [UInt16] = []) {
        self.name = name
        self.output = output
        self.sourcePorts = sourcePorts
        self.destinationPorts = destinationPorts
        self.vlans = vlans
    }
}
