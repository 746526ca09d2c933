#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

@Suite struct EventFDEpollTests {
    @Test func eventFDAccumulatesSignalsAndDrainsToZero() throws {
        let doorbell = try EventFD()
        #expect(doorbell.drain() == 0)
        doorbell.signal()
        doorbell.signal()
        doorbell.signal()
        #expect(doorbell.drain() == 3)
        #expect(doorbell.drain() == 0)
    }

    @Test func adoptedEventFDIsMadeNonBlocking() throws {
        let blocking = try EventFD(nonBlocking: false)
        let adopted = EventFD(adopting: try blocking.descriptor.duplicate())
        #expect(fcntl(adopted.rawValue, F_GETFL) & O_NONBLOCK != 0)
        // Would hang forever on a blocking eventfd.
        #expect(adopted.drain() == 0)
    }

    @Test func epollReportsReadyDescriptorsByToken() throws {
        let epoll = try Epoll(capacity: 8)
        let kick = try EventFD()
        let (a, b) = try UnixSocket.pair(nonBlocking: true)
        try epoll.add(kick.rawValue, token: 7)
        try epoll.add(b.rawValue, events: [.readable, .peerClosed], token: 9)
        #expect(epoll.wait(timeoutMilliseconds: 0).isEmpty)

        kick.signal()
        let first = epoll.wait(timeoutMilliseconds: 100)
        #expect(first.map(\.token) == [7])
        #expect(first.first?.readyEvents.contains(.readable) == true)

        // Level-triggered: still ready until drained.
        #expect(epoll.wait(timeoutMilliseconds: 0).map(\.token) == [7])
        kick.drain()
        #expect(epoll.wait(timeoutMilliseconds: 0).isEmpty)

        #expect(a.send([1]).value != nil)
        kick.signal()
        #expect(Set(epoll.wait(timeoutMilliseconds: 100).map(\.token)) == [7, 9])
        kick.drain()

        a.descriptor.close()
        let hup = epoll.wait(timeoutMilliseconds: 100)
        #expect(hup.map(\.token) == [9])
        #expect(hup.first?.readyEvents.contains(.peerClosed) == true)
    }

    @Test func epollModifyAndRemoveChangeWhatIsReported() throws {
        let epoll = try Epoll()
        let (a, peer) = try UnixSocket.pair(nonBlocking: true)
        defer { withExtendedLifetime(peer) {} }
        try epoll.add(a.rawValue, events: .readable, token: 1)
        #expect(epoll.wait(timeoutMilliseconds: 0).isEmpty)
        try epoll.modify(a.rawValue, events: .writable, token: 2)
        let ready = epoll.wait(timeoutMilliseconds: 0)
        #expect(ready.map(\.token) == [2])
        #expect(ready.first?.readyEvents.contains(.writable) == true)
        epoll.remove(a.rawValue)
        #expect(epoll.wait(timeoutMilliseconds: 0).isEmpty)
        // Removing twice, or an fd never added, is harmless.
        epoll.remove(a.rawValue)
        try epoll.add(a.rawValue, token: 3)
        #expect(throws: Errno(EEXIST)) { try epoll.add(a.rawValue, token: 3) }
    }

    @Test func edgeTriggeredEpollReportsATransitionOnce() throws {
        let epoll = try Epoll()
        let kick = try EventFD()
        try epoll.add(kick.rawValue, events: [.readable, .edgeTriggered], token: 4)
        kick.signal()
        #expect(epoll.wait(timeoutMilliseconds: 100).map(\.token) == [4])
        #expect(epoll.wait(timeoutMilliseconds: 0).isEmpty)
    }

    @Test func pollWaitsForReadabilityAndTimesOut() throws {
        let kick = try EventFD()
        let start = MonotonicClock.nanoseconds()
        #expect(Poll.wait(kick.rawValue, for: .readable, timeoutMilliseconds: 30).isWouldBlock)
        #expect(MonotonicClock.nanoseconds() - start >= 25_000_000)
        kick.signal()
        #expect(Poll.wait(kick.rawValue, for: .readable, timeoutMilliseconds: 1000).value?.contains(.readable) == true)
        let gone = try EventFD()
        let stale = gone.rawValue
        gone.descriptor.close()
        #expect(Poll.wait(stale, for: .readable, timeoutMilliseconds: 0).errorCode == EBADF)
    }
}

@Suite struct TimerFDTests {
    @Test func periodicTimerBecomesReadableAndCountsExpirations() throws {
        let timer = try TimerFD(intervalNanoseconds: 10_000_000)
        #expect(timer.drain() == 0)
        let epoll = try Epoll()
        try epoll.add(timer.rawValue, token: 5)
        #expect(epoll.wait(timeoutMilliseconds: 1000).map(\.token) == [5])
        usleep(35_000)
        #expect(timer.drain() >= 3)
        #expect(timer.drain() == 0)
    }

    @Test func refusesAZeroInterval() {
        #expect(throws: Errno(EINVAL)) { try TimerFD(intervalNanoseconds: 0) }
    }
}
