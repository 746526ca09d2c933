#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

@Suite struct UnixSocketTests {
    @Test func readsAMessageInPiecesWhenTheBufferIsSmaller() throws {
        let (a, b) = try UnixSocket.pair()
        let message = [UInt8](0..<100)
        #expect(a.send(message).value != nil)
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 40)
        var sizes: [Int] = []
        while collected.count < 100 {
            let got = try #require(chunk.withUnsafeMutableBytes { b.receive(into: $0) }.value)
            sizes.append(got.count)
            collected += chunk.prefix(got.count)
        }
        #expect(sizes == [40, 40, 20])
        #expect(collected == message)
    }

    @Test func readExactlyAssemblesAMessageWrittenInTwoParts() throws {
        let (a, b) = try UnixSocket.pair(nonBlocking: true)
        #expect(a.send([1, 2, 3]).value != nil)
        let writer = try PinnedThread(name: "late-writer") {
            usleep(20_000)
            _ = a.send([4, 5, 6, 7, 8])
        }
        var buffer = [UInt8](repeating: 0, count: 8)
        let result = buffer.withUnsafeMutableBytes { b.readExactly(into: $0, timeoutMs: 2000) }
        writer.join()
        #expect(result.value != nil)
        #expect(buffer == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func readExactlyTimesOutOnASilentPeer() throws {
        let (a, b) = try UnixSocket.pair(nonBlocking: true)
        defer { withExtendedLifetime(a) {} }
        var buffer = [UInt8](repeating: 0, count: 4)
        let start = MonotonicClock.nanoseconds()
        let result = buffer.withUnsafeMutableBytes { b.readExactly(into: $0, timeoutMs: 50) }
        #expect(result.errorCode == ETIMEDOUT)
        #expect(MonotonicClock.nanoseconds() - start >= 45_000_000)
    }

    @Test func reportsClosedWhenThePeerGoesAway() throws {
        let (a, b) = try UnixSocket.pair()
        #expect(a.send([9]).value != nil)
        a.descriptor.close()
        var buffer = [UInt8](repeating: 0, count: 4)
        // Data sent before the close is still delivered, then the end is a value.
        #expect(buffer.withUnsafeMutableBytes { b.receive(into: $0) }.value?.count == 1)
        #expect(buffer.withUnsafeMutableBytes { b.receive(into: $0) }.isClosed)
        #expect(buffer.withUnsafeMutableBytes { b.readExactly(into: $0) }.isClosed)
    }

    @Test func sendingToAVanishedPeerIsClosedNotSIGPIPE() throws {
        let (a, b) = try UnixSocket.pair()
        b.descriptor.close()
        #expect(a.send([1, 2, 3]).isClosed)
    }

    @Test func emptyNonBlockingSocketWouldBlock() throws {
        let (a, b) = try UnixSocket.pair(nonBlocking: true)
        defer { withExtendedLifetime(a) {} }
        var buffer = [UInt8](repeating: 0, count: 4)
        #expect(buffer.withUnsafeMutableBytes { b.receive(into: $0) }.isWouldBlock)
        #expect(buffer.withUnsafeMutableBytes { b.descriptor.read(into: $0) }.isWouldBlock)
    }

    @Test func descriptorReadAndWriteMoveBytesAndReportEndOfFile() throws {
        let pipe = try Pipe()
        let bytes: [UInt8] = [5, 6, 7]
        #expect(bytes.withUnsafeBytes { pipe.writeEnd.write($0) }.value == 3)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(buffer.withUnsafeMutableBytes { pipe.readEnd.read(into: $0) }.value == 3)
        let copy = try pipe.writeEnd.duplicate()
        pipe.writeEnd.close()
        #expect(buffer.withUnsafeMutableBytes { pipe.readEnd.read(into: $0) }.isWouldBlock)
        copy.close()
        #expect(buffer.withUnsafeMutableBytes { pipe.readEnd.read(into: $0) }.isClosed)
    }
}
