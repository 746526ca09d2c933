#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

extension IOResult {
    var value: Value? { if case .ok(let v) = self { return v } else { return nil } }
    var isWouldBlock: Bool { if case .wouldBlock = self { return true } else { return false } }
    var isClosed: Bool { if case .closed = self { return true } else { return false } }
    var errorCode: Int32? { if case .error(let e) = self { return e.code } else { return nil } }
}

/// A pipe whose write end we can hand around: once every copy of the write end is closed the
/// read end reports EOF, which is how the tests prove a descriptor was not leaked anywhere.
struct Pipe {
    let readEnd: OwnedFileDescriptor
    let writeEnd: OwnedFileDescriptor

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Errno.current }
        readEnd = OwnedFileDescriptor(adopting: fds[0])
        writeEnd = OwnedFileDescriptor(adopting: fds[1])
        for end in [readEnd, writeEnd] {
            try end.setNonBlocking()
            _ = fcntl(end.rawValue, F_SETFD, FD_CLOEXEC)
        }
    }

    /// True when no process holds the write end any more.
    var writersAreGone: Bool {
        var byte: UInt8 = 0
        return Glibc.read(readEnd.rawValue, &byte, 1) == 0
    }
}

func temporaryPath(_ tag: String) -> String {
    "/tmp/switchyard-linuxio-\(getpid())-\(tag)-\(UInt32.random(in: 0 ... .max)).sock"
}
