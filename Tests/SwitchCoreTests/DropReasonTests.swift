import SwitchCore
import Testing

@Test func dropReasonCountCoversEveryCase() {
    #expect(DropReason.count == DropReason.allCases.count)
    #expect(DropReason.allCases.map { Int($0.rawValue) } == Array(0..<DropReason.count))
}
