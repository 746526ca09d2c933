import Testing

@Test func placeholderVirtioTests() {}
