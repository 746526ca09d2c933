import Testing

@Test func placeholderSwitchCoreTests() {}
