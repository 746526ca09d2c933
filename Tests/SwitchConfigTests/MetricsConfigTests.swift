import SwitchConfig
import Testing

/// `switch.metrics: { listen: ADDRESS:PORT }` (docs/metrics.md).
@Suite struct MetricsConfigTests {
    @Test func absentMeansNoEndpointAndListenTakesIPv4OrBracketedIPv6() throws {
        #expect(try parseValid("switch: {}").settings.metrics == nil)
        #expect(try parseValid("switch: { metrics: ~ }").settings.metrics == nil)
        let v4 = try parseValid("switch:\n  metrics: { listen: \"127.0.0.1:9469\" }\n").settings.metrics
        #expect(v4 == MetricsSettings(listen: ListenAddress(family: .ipv4, host: "127.0.0.1", port: 9469)))
        #expect(v4?.listen.description == "127.0.0.1:9469")
        let v6 = try parseValid("switch:\n  metrics: { listen: \"[::1]:9100\" }\n").settings.metrics
        #expect(v6 == MetricsSettings(listen: ListenAddress(family: .ipv6, host: "::1", port: 9100)))
        #expect(v6?.listen.description == "[::1]:9100")
        #expect(try parseValid("switch: { metrics: { listen: \"0.0.0.0:65535\" } }").settings.metrics?.listen.port == 65535)
    }

    @Test func aBadAddressOrPortIsReportedAtItsValue() throws {
        let port = try singleDiagnostic("switch:\n  metrics:\n    listen: \"127.0.0.1:70000\"\n")
        #expect(port.kind == .outOfRange)
        #expect(port.description == "test.yaml:3:13: switch.metrics.listen: port '70000' is out of range 1...65535")
        let zero = try singleDiagnostic("switch: { metrics: { listen: \"127.0.0.1:0\" } }")
        #expect(zero.kind == .outOfRange && zero.column == 30)
        let name = try singleDiagnostic("switch:\n  metrics: { listen: \"localhost:9469\" }\n")
        #expect(name.kind == .invalidValue)
        #expect(name.description == "test.yaml:2:22: switch.metrics.listen: 'localhost' is not a numeric IPv4 address "
                + "(host names are not resolved; e.g. 127.0.0.1)")
        let bare6 = try singleDiagnostic("switch: { metrics: { listen: \"::1:9469\" } }")
        #expect(bare6.message == "'::1:9469': an IPv6 address needs brackets, e.g. [::1]:9469")
        let noPort = try singleDiagnostic("switch: { metrics: { listen: \"127.0.0.1\" } }")
        #expect(noPort.message == "'127.0.0.1' has no port; write ADDRESS:PORT, e.g. 127.0.0.1:9469")
        let badV6 = try singleDiagnostic("switch: { metrics: { listen: \"[fe80::zz]:9469\" } }")
        #expect(badV6.message.hasPrefix("'fe80::zz' is not a numeric IPv6 address"))
        let wrongType = try singleDiagnostic("switch: { metrics: { listen: true } }")
        #expect(wrongType.kind == .wrongType)
    }

    @Test func listenIsRequiredAndOtherKeysAreRefused() throws {
        let missing = try singleDiagnostic("switch:\n  metrics: {}\n")
        #expect(missing.kind == .missingKey)
        #expect(missing.description
                == "test.yaml:2:12: switch.metrics.listen: missing required key 'listen' (ADDRESS:PORT, e.g. 127.0.0.1:9469)")
        let typo = try singleDiagnostic("switch: { metrics: { listen: \"127.0.0.1:9469\", lisen: x } }")
        #expect(typo.kind == .unknownKey)
        #expect(typo.message == "unknown key 'lisen' (did you mean 'listen'?)")
        let notMapping = try singleDiagnostic("switch: { metrics: \"127.0.0.1:9469\" }")
        #expect(notMapping.kind == .wrongType)
    }
}
