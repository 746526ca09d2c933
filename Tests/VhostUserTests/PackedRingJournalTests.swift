import Foundation
import Testing
import VhostUser
import Virtio

/// Whose record a packed ring's journal entry is: only the same front-end process, re-sending the
/// base it sent when the entry began, for the same ring, gets it back
/// (docs/memory-hotplug-and-reconnect.md, "Packed rings").
@Suite struct PackedRingJournalTests {
    @Test func anEntryIsGivenBackOnlyToItsFrontEndWithTheSameBaseAndRing() throws {
        let path = NSTemporaryDirectory() + "journal-\(UInt32.random(in: 0 ... .max)).rings"
        defer { unlink(path) }
        let qemu = PackedRingJournal.FrontEnd(pid: 4242, startTime: 777)
        let descriptors = UnsafeMutableRawPointer.allocate(byteCount: 16 * 256, alignment: 16)
        descriptors.initializeMemory(as: UInt8.self, repeating: 0, count: 16 * 256)
        defer { descriptors.deallocate() }
        do {
            let journal = try PackedRingJournal(path: path, rings: 2)
            journal.begin(ring: 1, frontEnd: qemu, descriptorUVA: 0x7F00_0000, size: 256, frontEndBase: 0x8000_8000)
            // The queue's progress: published and written at slot 40 of the second lap (wrap 0).
            PackedRingProgress.reset(try #require(journal.progressRecord(ring: 1)), to: 40)
        }
        // A restarted daemon opens the same file.
        let journal = try PackedRingJournal(path: path, rings: 2)
        func resume(_ fe: PackedRingJournal.FrontEnd = qemu, ring: Int = 1, uva: UInt64 = 0x7F00_0000,
                    size: Int = 256, base: UInt32 = 0x8000_8000) -> UInt16? {
            journal.resume(ring: ring, frontEnd: fe, descriptorUVA: uva, size: size, frontEndBase: base,
                           descriptors: descriptors)
        }
        #expect(resume() == 40, "the same front-end, ring and base: the recorded position")
        #expect(resume(PackedRingJournal.FrontEnd(pid: 4242, startTime: 778)) == nil, "a new process with a reused pid")
        #expect(resume(PackedRingJournal.FrontEnd(pid: 4243, startTime: 777)) == nil, "another process")
        #expect(resume(base: 0x8005_8005) == nil, "a front-end that knows a newer base")
        #expect(resume(uva: 0x7F00_1000) == nil, "a ring laid out elsewhere")
        #expect(resume(size: 128) == nil, "a ring of another size")
        #expect(resume(ring: 0) == nil, "a ring that never began")
        journal.clear(ring: 1)
        #expect(resume() == nil, "cleared by GET_VRING_BASE")
    }
}
