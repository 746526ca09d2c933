import Testing

@Test func placeholderDatapathTests() {}
