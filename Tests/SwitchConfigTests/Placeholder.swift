import Testing

@Test func placeholderSwitchConfigTests() {}
