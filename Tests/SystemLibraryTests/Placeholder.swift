import Testing

@Test func placeholderSystemLibraryTests() {}
