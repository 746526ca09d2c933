import SwitchConfig
import Testing

@Suite struct TrunkVLANTests {
    private func trunk(_ vlanYAML: String) throws -> VLANMembership {
        let configuration = try parseValid("ports: [{name: t, type: uplink, interface: eth0, vlan: \(vlanYAML)}]")
        return try #require(configuration.ports.first).vlan
    }

    @Test func integersAndQuotedRangesAreMergedSortedAndIncludeTheNativeVLAN() throws {
        let vlan = try trunk(#"{trunk: {allowed: [20, "100-110", 10, "105-120", 21], native: 1}}"#)
        #expect(vlan == .trunk(allowed: [1...1, 10...10, 20...21, 100...120], native: 1))
    }

    @Test func unquotedRangeAndQuotedSingleIdAreAccepted() throws {
        #expect(try trunk("{trunk: {allowed: [100-102, \"7\"]}}") == .trunk(allowed: [7...7, 100...102], native: nil))
    }

    @Test func trunkWithoutAllowedCarriesEveryVLAN() throws {
        #expect(try trunk("{trunk: {native: 5}}") == .trunk(allowed: [1...4094], native: 5))
        #expect(try trunk("{trunk: }") == .trunk(allowed: [1...4094], native: nil))
    }

    @Test func emptyAllowedListIsFineWithANativeVLAN() throws {
        #expect(try trunk("{trunk: {allowed: [], native: 3}}") == .trunk(allowed: [3...3], native: 3))
    }

    @Test func equalSetsWrittenDifferentlyCompareEqual() throws {
        let a = try trunk(#"{trunk: {allowed: ["1-3", 4]}}"#)
        let b = try trunk("{trunk: {allowed: [4, 3, 2, 1]}}")
        #expect(a == b)
        #expect(a.vlanIDs == [1, 2, 3, 4])
    }

    @Test func carriesAnswersMembership() throws {
        let vlan = try trunk(#"{trunk: {allowed: ["10-12"], native: 1}}"#)
        #expect(vlan.carries(1) && vlan.carries(11))
        #expect(!vlan.carries(2) && !vlan.carries(13))
        #expect(VLANMembership.access(7).carries(7) && !VLANMembership.access(7).carries(8))
    }

    @Test func badRangeElementsAreReportedEachWithItsIndex() {
        let errors = diagnostics(#"""
            ports:
              - name: t
                type: uplink
                interface: eth0
                vlan:
                  trunk:
                    allowed: [10, "110-100", "1-5000", abc, 0, [1]]
            """#)
        #expect(errors.map(\.description) == [
            "test.yaml:7:23: ports[0].vlan.trunk.allowed[1]: VLAN range 110-100 is reversed; write 100-110",
            "test.yaml:7:34: ports[0].vlan.trunk.allowed[2]: VLAN 5000 is out of range 1...4094",
            "test.yaml:7:44: ports[0].vlan.trunk.allowed[3]: "
                + "expected a VLAN id or a range like \"100-110\", found a string \"abc\"",
            "test.yaml:7:49: ports[0].vlan.trunk.allowed[4]: VLAN 0 is out of range 1...4094",
            "test.yaml:7:52: ports[0].vlan.trunk.allowed[5]: "
                + "expected a VLAN id or a range like \"100-110\", found a list",
        ])
    }

    @Test func trunkAllowingNothingIsRejected() throws {
        let error = try singleDiagnostic("ports: [{name: t, type: uplink, interface: e, vlan: {trunk: {allowed: []}}}]")
        #expect(error.keyPath == "ports[0].vlan.trunk.allowed")
        #expect(error.message == "a trunk must allow at least one VLAN or have a native VLAN")
    }

    @Test func emptyVLANMappingMustChooseAccessOrTrunk() throws {
        let error = try singleDiagnostic("ports: [{name: t, type: uplink, interface: e, vlan: {}}]")
        #expect(error.kind == .missingKey)
        #expect(error.description == "test.yaml:1:53: ports[0].vlan: expected 'access' or 'trunk'")
    }

    @Test func nativeVLANOutOfRange() throws {
        let error = try singleDiagnostic("ports: [{name: t, type: uplink, interface: e, vlan: {trunk: {native: 4095}}}]")
        #expect(error.keyPath == "ports[0].vlan.trunk.native")
        #expect(error.message == "VLAN 4095 is out of range 1...4094")
    }
}
