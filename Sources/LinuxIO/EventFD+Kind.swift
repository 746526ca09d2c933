import CSwitchyard

/// What a descriptor a front-end hands over as a call, kick or err fd really is: it shares the
/// front-end's open file description, so only an eventfd in counter mode behaves as the engine
/// needs (docs/never-blocking.md, docs/red-team.md).
extension EventFD {
    /// Whether `fd` is an eventfd (nil when /proc cannot tell).
    public static func isEventFD(_ fd: Int32) -> Bool? {
        switch csy_fd_is_eventfd(fd) {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }

    /// Whether eventfd `fd` was made with EFD_SEMAPHORE (false when the kernel does not say).
    ///
    /// A semaphore eventfd gives back 1 per read and stays readable until its counter is 0. As a
    /// kick fd, one `write` of 0xfffffffffffffffe by the front-end would keep the engine's
    /// level-triggered epoll reporting it readable on every turn, for ever: the engine would never
    /// sleep again, at no cost to the front-end. The mode is fixed at creation, so checking it
    /// once, when it is handed over, is enough. Linux shows it in fdinfo since 6.4; older kernels
    /// do not, and there the trap stays open.
    public static func isSemaphore(_ fd: Int32) -> Bool { csy_eventfd_is_semaphore(fd) == 1 }
}
