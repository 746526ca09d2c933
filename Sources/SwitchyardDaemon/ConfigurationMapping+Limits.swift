import Datapath
import SwitchConfig

extension LimitSettings {
    /// The config file's `limits:` as the engine applies them (docs/limits.md).
    var portLimits: PortLimits {
        PortLimits(maxGuestMemory: maxGuestMemory, maxChainDescriptors: maxChainDescriptors, minMSS: minMSS,
                   maxSegments: maxSegments)
    }
}
