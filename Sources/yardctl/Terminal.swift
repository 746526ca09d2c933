#if canImport(Glibc)
import Glibc
#endif

// What `yardctl top` changes on a terminal, where the signal handlers below can reach it: they
// may only call async-signal-safe functions (tcsetattr, write), so no locks and no allocation.
nonisolated(unsafe) private var savedTermios = termios()
nonisolated(unsafe) private var inputIsRaw = false
nonisolated(unsafe) private var cursorHidden = false

private let showCursor: [UInt8] = Array("\u{1B}[?25h\n".utf8)
private let hideCursor = "\u{1B}[?25l"
/// Cursor home, then erase the screen: each refresh draws from the top, like top(1).
let clearScreen = "\u{1B}[H\u{1B}[2J"

/// Puts the terminal in top(1)'s mode: cursor hidden, and with `rawInput` keys read one at a time
/// without echo (ICANON and ECHO off; ISIG stays on, so Ctrl-C is still SIGINT). SIGINT, SIGTERM,
/// SIGHUP and SIGQUIT restore it before the process dies of the signal.
func enterTerminal(rawInput: Bool) {
    var handled = sigset_t()
    sigemptyset(&handled)
    for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
        signal(sig) { received in
            restoreTerminal()
            signal(received, SIG_DFL)
            raise(received)
        }
        sigaddset(&handled, sig)
    }
    // A parent may have started us with these blocked (a spawning thread's mask is inherited):
    // blocked, Ctrl-C would neither quit nor restore the terminal.
    pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    if rawInput, tcgetattr(0, &savedTermios) == 0 {
        var raw = savedTermios
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        if tcsetattr(0, TCSANOW, &raw) == 0 { inputIsRaw = true }
    }
    print(hideCursor, terminator: "")
    fflush(nil)
    cursorHidden = true
}

/// Async-signal-safe: the saved terminal settings back, the cursor shown.
private func restoreTerminal() {
    if inputIsRaw {
        tcsetattr(0, TCSANOW, &savedTermios)
        inputIsRaw = false
    }
    if cursorHidden {
        cursorHidden = false
        _ = showCursor.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
}

/// Before any exit: the terminal as it was found (nothing to do unless `top` changed it).
func leaveTerminal() {
    fflush(nil)
    restoreTerminal()
}

/// Waits until `deadline` (CLOCK_MONOTONIC ns). Returns true when `q` was pressed meanwhile (only
/// in raw input mode; a pipe's stdin is never read).
func waitForQuit(until deadline: UInt64) -> Bool {
    while true {
        let now = monotonicNanoseconds()
        guard now < deadline else { return false }
        let milliseconds = Int32(min((deadline - now + 999_999) / 1_000_000, 60_000))
        guard inputIsRaw else {
            usleep(useconds_t(min(deadline - now, 1_000_000_000) / 1000))
            continue
        }
        var fd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fd, 1, milliseconds)
        guard ready > 0 else { continue }
        var keys = [UInt8](repeating: 0, count: 16)
        let n = keys.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n <= 0 {
            // End of input (or an error): stop reading keys and just wait.
            restoreTerminalInputOnly()
            continue
        }
        if keys[0..<n].contains(UInt8(ascii: "q")) || keys[0..<n].contains(UInt8(ascii: "Q")) { return true }
    }
}

private func restoreTerminalInputOnly() {
    if inputIsRaw {
        tcsetattr(0, TCSANOW, &savedTermios)
        inputIsRaw = false
    }
}

func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
