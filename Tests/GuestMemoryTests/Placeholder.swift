import Testing

@Test func placeholderGuestMemoryTests() {}
