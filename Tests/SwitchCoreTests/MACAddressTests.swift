import Testing
@testable import SwitchCore

@Suite struct MACAddressTests {
    @Test(arguments: [
        ("aa:bb:cc:dd:ee:ff", UInt64(0xAABB_CCDD_EEFF)),
        ("AA:BB:CC:DD:EE:FF", UInt64(0xAABB_CCDD_EEFF)),
        ("00-11-22-33-44-55", UInt64(0x0011_2233_4455)),
        ("ff:ff:ff:ff:ff:ff", UInt64(0xFFFF_FFFF_FFFF)),
    ])
    func parsesColonAndDashForms(text: String, raw: UInt64) throws {
        let mac = try #require(MACAddress(text))
        #expect(mac.rawValue == raw)
    }

    @Test(arguments: ["", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb:cc:dd:ee:f", "aab:bc:cd:de:ef:f0",
                      "aa:bb:cc:dd:ee:gg", "aa:bb-cc:dd:ee:ff", "aa::bb:cc:dd:ee", " aa:bb:cc:dd:ee:ff",
                      "aa:bb:cc:dd:ee:ff:"])
    func rejectsMalformedText(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test func formatsLowercaseColonForm() {
        #expect(MACAddress(0xAA, 0x0B, 0xCC, 0x0D, 0xEE, 0x00).description == "aa:0b:cc:0d:ee:00")
        #expect(String(describing: MACAddress.zero) == "00:00:00:00:00:00")
    }

    @Test func roundTripsThroughText() throws {
        let mac = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
        #expect(try #require(MACAddress(mac.description)) == mac)
    }

    @Test func classifiesGroupAndBroadcastAddresses() {
        #expect(MACAddress.broadcast.isBroadcast && MACAddress.broadcast.isMulticast)
        #expect(multicastGroup.isMulticast && !multicastGroup.isBroadcast)
        #expect(MACAddress(0x33, 0x33, 0, 0, 0, 1).isMulticast)
        #expect(station(1).isUnicast && !station(1).isMulticast)
    }

    @Test func recognisesOnlyTheSixteenReservedLinkLocalAddresses() {
        for last in UInt8(0)...0x0F {
            #expect(MACAddress(0x01, 0x80, 0xC2, 0, 0, last).isLinkLocal)
        }
        #expect(!MACAddress(0x01, 0x80, 0xC2, 0, 0, 0x10).isLinkLocal)
        #expect(!MACAddress(0x01, 0x80, 0xC2, 0, 1, 0x00).isLinkLocal)
        #expect(!MACAddress.broadcast.isLinkLocal)
    }

    @Test func ignoresBitsAbove48() {
        #expect(MACAddress(rawValue: 0xFFFF_0000_0000_0001) == MACAddress(rawValue: 1))
    }
}
