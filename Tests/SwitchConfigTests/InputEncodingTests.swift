#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwitchConfig
import Testing

@Suite struct InputEncodingTests {
    @Test func controlCharacterIsPositionedFromLibyamlsOffset() throws {
        let error = try singleDiagnostic("switch:\n  log: \u{01}\n")
        #expect(error.kind == .syntax)
        #expect((error.line, error.column) == (2, 8))
    }

    @Test func tabIndentationIsASyntaxError() throws {
        let error = try singleDiagnostic("switch:\n\tlog: {}\n")
        #expect(error.kind == .syntax)
        #expect(error.line == 2)
    }

    @Test func fileThatIsNotUTF8IsUnreadable() throws {
        let path = "/tmp/switchconfig-test-\(UInt32.random(in: 0...UInt32.max)).yaml"
        let file = try #require(fopen(path, "wb"))
        let bytes: [UInt8] = [0x70, 0x6F, 0x72, 0x74, 0x73, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]
        #expect(fwrite(bytes, 1, bytes.count, file) == bytes.count)
        fclose(file)
        defer { unlink(path) }
        do {
            _ = try SwitchConfiguration.load(path: path)
            Issue.record("invalid UTF-8 loaded")
        } catch {
            #expect(error.errors.map(\.description) == ["\(path): not valid UTF-8"])
        }
    }
}
