import SwitchConfig
import Testing

/// The repository root, found from this file's path so tests run from any working directory.
let repositoryRoot: String = {
    var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)  // Tests/SwitchConfigTests/TestSupport.swift
    return components.joined(separator: "/")
}()

/// Parses text that must be valid, failing the test with the diagnostics if it is not.
func parseValid(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SwitchConfiguration {
    do {
        return try SwitchConfiguration.parse(yaml: yaml, file: "test.yaml")
    } catch {
        Issue.record("unexpected errors:\n\(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Parses text that must be rejected and returns the diagnostics.
func diagnostics(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigurationError] {
    do {
        let configuration = try SwitchConfiguration.parse(yaml: yaml, file: "test.yaml")
        Issue.record("expected errors, parsed \(configuration)", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.errors
    }
}

/// The one diagnostic for `yaml`, failing if there is not exactly one.
func singleDiagnostic(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigurationError {
    let errors = diagnostics(yaml, sourceLocation: sourceLocation)
    #expect(errors.count == 1, "\(errors)", sourceLocation: sourceLocation)
    return try #require(errors.first, sourceLocation: sourceLocation)
}

func vhostUser(_ name: String, _ socket: String, mode: VhostUserMode = .server,
               queues: Int = PortConfiguration.defaultQueues,
               vlan: VLANMembership = .access(1), macLimit: Int? = SwitchSettings.defaultGuestMACLimit, mtu: Int = 1500,
               limits: LimitSettings = LimitSettings()) -> PortConfiguration {
    PortConfiguration(name: name, kind: .vhostUser(socketPath: socket, mode: mode, queues: queues),
                      vlan: vlan, macLimit: macLimit, mtu: mtu, limits: limits)
}
