import Testing

@Test func placeholderLinuxIOTests() {}
