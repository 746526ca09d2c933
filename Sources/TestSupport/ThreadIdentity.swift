#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import Foundation

/// Runs `body` on a fresh thread whose effective uid/gid are `uid`/`gid` (the rest of the process
/// stays root), and waits for it. SO_PEERCRED reports the credentials of the thread that called
/// connect() or listen(), so this plays an unprivileged QEMU in-process (docs/connections.md).
public func onThread<T>(asUID uid: uid_t, gid: gid_t, _ body: @escaping () throws -> T) throws -> T {
    var result: Result<T, Error> = .failure(ThreadIdentityError(code: 0))
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        defer { done.signal() }
        guard csy_thread_set_effective_ids(uid, gid) == 0 else {
            result = .failure(ThreadIdentityError(code: errno))
            return
        }
        result = Result { try body() }
        // Back to root (uid first: the gid may only change with euid 0); the thread ends anyway.
        _ = csy_thread_set_effective_ids(0, 0)
    }
    thread.start()
    done.wait()
    return try result.get()
}

public struct ThreadIdentityError: Error, CustomStringConvertible {
    public let code: Int32
    public var description: String { "cannot change the thread's effective ids: errno \(code)" }
}
