import Datapath
import Testing

@Suite struct IdleSpinTests {
    private let max = IdleSpin.maximumNanoseconds
    private let start = IdleSpin.growStartNanoseconds

    @Test func startsWithoutSpinningSoAnIdleSwitchSleepsOnItsFirstEmptyTurn() {
        let spin = IdleSpin()
        #expect(spin.windowNanoseconds == 0)
        #expect(spin.shouldSleep(afterNanoseconds: 0))
    }

    @Test func idlesEndingJustPastTheWindowGrowItByDoublingUpToTheCap() {
        var spin = IdleSpin()
        var windows: [UInt64] = []
        for _ in 0..<6 {
            spin.idleEnded(afterNanoseconds: max)   // always just beyond the window, never beyond the cap
            windows.append(spin.windowNanoseconds)
        }
        #expect(windows == [start, 2 * start, 4 * start, 8 * start, max, max])
        #expect(!spin.shouldSleep(afterNanoseconds: max - 1) && spin.shouldSleep(afterNanoseconds: max))
    }

    @Test func anIdleTheSpinCaughtLeavesTheWindowAlone() {
        var spin = IdleSpin()
        spin.idleEnded(afterNanoseconds: start)
        spin.idleEnded(afterNanoseconds: start)
        #expect(spin.windowNanoseconds == start)
        spin.idleEnded(afterNanoseconds: 1)
        #expect(spin.windowNanoseconds == start)
    }

    @Test func idlesLongerThanTheCapHalveTheWindowThenDropItToZero() {
        var spin = IdleSpin()
        for _ in 0..<5 { spin.idleEnded(afterNanoseconds: max) }
        #expect(spin.windowNanoseconds == max)
        var windows: [UInt64] = []
        for _ in 0..<5 {
            spin.idleEnded(afterNanoseconds: max + 1)   // e.g. a TCP stream's gaps on a loaded host
            windows.append(spin.windowNanoseconds)
        }
        #expect(windows == [max / 2, max / 4, max / 8, 0, 0], "below the grow start a shrinking window is 0")
    }
}
