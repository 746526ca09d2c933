import Testing

@Test func placeholderVhostUserTests() {}
