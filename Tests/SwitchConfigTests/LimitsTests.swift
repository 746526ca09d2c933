import SwitchConfig
import Testing

/// `limits:` under `switch:` and under a port (docs/limits.md).
@Suite struct LimitsTests {
    static let ports = """
        ports:
          - {name: vm1, type: vhost-user, socket: vm1.sock}
          - {name: vm2, type: vhost-user, socket: vm2.sock, limits: {max-guest-memory: 64GiB, min-mss: 536}}
        """

    @Test func defaultsAreSafeAndTheSameForEveryPort() throws {
        let configuration = try parseValid(Self.ports.replacingOccurrences(of: ", limits: {max-guest-memory: 64GiB, min-mss: 536}", with: ""))
        let defaults = LimitSettings(maxGuestMemory: 1 << 40, maxChainDescriptors: 64, minMSS: 88, maxSegments: 256)
        #expect(configuration.settings.limits == defaults)
        #expect(configuration.ports.map(\.limits) == [defaults, defaults])
    }

    @Test func aPortOverridesOnlyTheKeysItSetsOverTheSwitchWideValues() throws {
        let configuration = try parseValid("""
            switch:
              limits:
                max-guest-memory: 2TiB
                max-chain-descriptors: 128
                min-mss: 100
                max-segments: 512
            """ + "\n" + Self.ports)
        let switchWide = LimitSettings(maxGuestMemory: 2 << 40, maxChainDescriptors: 128, minMSS: 100, maxSegments: 512)
        #expect(configuration.settings.limits == switchWide)
        #expect(configuration.ports[0].limits == switchWide)
        #expect(configuration.ports[1].limits == LimitSettings(maxGuestMemory: 64 << 30, maxChainDescriptors: 128,
                                                               minMSS: 536, maxSegments: 512))
    }

    @Test func sizesTakeBytesOrBinaryUnits() throws {
        let cases: [(String, UInt64)] = [
            ("1073741824", 1 << 30), ("512MiB", 512 << 20), ("512 MiB", 512 << 20), ("64GiB", 64 << 30),
            ("64G", 64 << 30), ("1TiB", 1 << 40), ("3T", 3 << 40), ("\"4096KiB\"", 4 << 20),
        ]
        for (text, bytes) in cases {
            let configuration = try parseValid("switch:\n  limits:\n    max-guest-memory: \(text)\n")
            #expect(configuration.settings.limits.maxGuestMemory == bytes, "\(text)")
        }
    }

    @Test func aSizeWithADecimalUnitIsRefusedWithItsPosition() throws {
        let error = try singleDiagnostic("switch:\n  limits:\n    max-guest-memory: 64GB\n")
        #expect(error.kind == .invalidValue)
        #expect(error.description == "test.yaml:3:23: switch.limits.max-guest-memory: invalid size '64GB': "
            + "expected a number of bytes or a number with KiB, MiB, GiB or TiB")
    }

    @Test func aSizeOutsideTheRangeIsRefused() throws {
        let small = try singleDiagnostic("switch:\n  limits:\n    max-guest-memory: 4KiB\n")
        #expect(small.kind == .outOfRange)
        #expect(small.message == "guest memory limit 4KiB is out of range 1MiB...64TiB")
        let huge = try singleDiagnostic("ports:\n  - {name: a, type: vhost-user, socket: a.sock, limits: {max-guest-memory: 99999999T}}\n")
        #expect(huge.kind == .outOfRange)
        #expect(huge.keyPath == "ports[0].limits.max-guest-memory")
        #expect((huge.line, huge.column) == (2, 76))
    }

    @Test func countsAreCheckedAgainstTheirRanges() throws {
        let errors = diagnostics("""
            switch:
              limits: {max-chain-descriptors: 0, min-mss: 70000, max-segments: many}
            """)
        #expect(errors.map(\.description) == [
            "test.yaml:2:35: switch.limits.max-chain-descriptors: descriptors per chain 0 is out of range 1...1024",
            "test.yaml:2:47: switch.limits.min-mss: minimum MSS 70000 is out of range 1...65535",
            "test.yaml:2:68: switch.limits.max-segments: expected an integer, found a string \"many\"",
        ])
    }

    @Test func anUnknownLimitSuggestsTheClosestKey() throws {
        let error = try singleDiagnostic("""
            ports:
              - name: vm1
                type: vhost-user
                socket: vm1.sock
                limits:
                  max-segment: 100
            """)
        #expect(error.kind == .unknownKey)
        #expect(error.description == "test.yaml:6:7: ports[0].limits: unknown key 'max-segment' (did you mean 'max-segments'?)")
    }

    @Test func aBadPortLimitInvalidatesOnlyThatPort() throws {
        let errors = diagnostics("""
            ports:
              - {name: vm1, type: vhost-user, socket: vm1.sock, limits: {min-mss: 0}}
              - {name: vm2, type: vhost-user, socket: vm2.sock, limits: {min-mss: 1}}
            """)
        #expect(errors.map(\.keyPath) == ["ports[0].limits.min-mss"])
    }

    @Test func changingTheSwitchWideLimitsChangesThePortsThatInheritThem() throws {
        let old = try parseValid(Self.ports)
        let new = try parseValid("switch:\n  limits: {max-chain-descriptors: 32}\n" + Self.ports)
        let diff = ConfigurationDiff.diff(old: old, new: new)
        #expect(diff.settingsChanged)
        #expect(diff.changed.map(\.new.name) == ["vm1", "vm2"])
        #expect(diff.changed.allSatisfy { $0.fields == [.limits] })
        // A switch-wide key a port overrides changes nothing for that port.
        let newer = try parseValid("switch:\n  limits: {min-mss: 100}\n" + Self.ports)
        #expect(ConfigurationDiff.diff(old: old, new: newer).changed.map(\.new.name) == ["vm1"])
    }
}
