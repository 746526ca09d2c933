import Testing
import VhostTestFrontEnd
import Virtio
import TestSupport

@Suite struct NotificationTests {
    /// Completes `count` single-buffer TX chains and publishes them.
    private func complete(_ count: Int, driver: DriverRing, queue: SplitQueue) {
        for _ in 0..<count { driver.addChain([(0x3_0000, 60)], writable: false) }
        let n = queue.popAvailable(maxChains: 64)
        for chain in queue.chains.prefix(n) { queue.pushUsed(head: chain.head, length: 0) }
        queue.publishUsed()
    }

    @Test func needEventFollowsTheSpecFormulaAcrossWrapAround() {
        #expect(SplitRing.needsEvent(event: 4, new: 5, old: 4))
        #expect(SplitRing.needsEvent(event: 4, new: 8, old: 3))
        #expect(!SplitRing.needsEvent(event: 9, new: 8, old: 3))
        #expect(!SplitRing.needsEvent(event: 2, new: 8, old: 3))
        #expect(SplitRing.needsEvent(event: 65535, new: 1, old: 65534))
        #expect(SplitRing.needsEvent(event: 0, new: 1, old: 65534))
        #expect(!SplitRing.needsEvent(event: 1, new: 1, old: 65534))
        #expect(!SplitRing.needsEvent(event: 65533, new: 1, old: 65534))
    }

    @Test func firstNotificationWithEventIndexIsUnconditionalThenFollowsUsedEvent() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        driver.setUsedEvent(100)
        complete(1, driver: driver, queue: queue)
        #expect(queue.needsNotification(), "nothing signalled yet: notify")
        complete(1, driver: driver, queue: queue)
        #expect(!queue.needsNotification(), "used_event 100 not reached")
        driver.setUsedEvent(2)
        complete(2, driver: driver, queue: queue)
        #expect(queue.needsNotification(), "used.idx moved 2 -> 4 past used_event 2")
        complete(1, driver: driver, queue: queue)
        #expect(!queue.needsNotification(), "used_event 2 already passed")
    }

    @Test func eventIndexDecisionsHoldAcrossTheSixteenBitWrap() throws {
        let driver = try FixedRingAddresses.driver(size: 16, startIndex: 65533)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        #expect(queue.usedIndex == 65533 && queue.lastAvailIndex == 65533)
        driver.setUsedEvent(65533)
        complete(1, driver: driver, queue: queue)   // used 65534
        #expect(queue.needsNotification())
        driver.setUsedEvent(0)
        complete(1, driver: driver, queue: queue)   // used 65535: event 0 not reached
        #expect(!queue.needsNotification())
        complete(2, driver: driver, queue: queue)   // used 1: crossed 0
        #expect(driver.usedIndex == 1)
        #expect(queue.needsNotification())
        // Heads 0...3 were completed at used indices 65533, 65534, 65535, 0.
        #expect([65533, 65534, 65535, 0].map { driver.usedElement($0).id } == [0, 1, 2, 3])
    }

    @Test func withoutEventIndexNotifiesUnlessDriverSetNoInterrupt() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        complete(1, driver: driver, queue: queue)
        #expect(queue.needsNotification())
        driver.setAvailFlags(SplitRing.availFlagNoInterrupt)
        complete(1, driver: driver, queue: queue)
        #expect(!queue.needsNotification())
        driver.setAvailFlags(0)
        #expect(queue.needsNotification())
    }

    @Test func disablingKicksSetsNoNotifyAndEnablingReportsBuffersAddedMeanwhile() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        #expect(driver.usedFlags == 0)
        queue.disableNotifications()
        #expect(driver.usedFlags == SplitRing.usedFlagNoNotify)
        #expect(!queue.enableNotifications(), "ring empty: safe to sleep")
        #expect(driver.usedFlags == 0)
        queue.disableNotifications()
        driver.addChain([(0x3_0000, 60)], writable: false)   // the driver saw NO_NOTIFY and did not kick
        #expect(queue.enableNotifications(), "a buffer arrived while kicks were off: poll again")
        #expect(queue.popAvailable(maxChains: 32) == 1)
        #expect(!queue.enableNotifications())
    }

    @Test func withEventIndexKickSuppressionMovesAvailEvent() throws {
        let driver = try FixedRingAddresses.driver(size: 16)
        let queue = try #require(driver.makeQueue(eventIndex: true))
        #expect(driver.availEvent == 0)
        driver.addChain([(0x3_0000, 60)], writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 1)
        #expect(driver.availEvent == 1, "enabled: ask for a kick at the next new buffer")
        queue.disableNotifications()
        driver.addChain([(0x3_0000, 60)], writable: false)
        #expect(queue.popAvailable(maxChains: 32) == 1)
        #expect(driver.availEvent == 1, "disabled: avail_event left behind, so the driver stops kicking")
        #expect(driver.usedFlags == 0, "NO_NOTIFY is not used with EVENT_IDX")
        driver.addChain([(0x3_0000, 60)], writable: false)
        #expect(queue.enableNotifications(), "buffer 3 is pending")
        #expect(driver.availEvent == 2)
        #expect(queue.popAvailable(maxChains: 32) == 1)
        #expect(!queue.enableNotifications())
        #expect(driver.availEvent == 3)
    }

    @Test func resyncTakesLastAvailFromUsedIndexAfterReconnect() throws {
        let driver = try FixedRingAddresses.driver(size: 16, startIndex: 5)
        for _ in 0..<4 { driver.addChain([(0x3_0000, 60)], writable: false) }
        // The front-end re-sent a base of 9 though only 5 buffers were ever marked used.
        let queue = try #require(driver.makeQueue(eventIndex: true, lastAvail: 9))
        #expect(queue.resyncWithUsedIndex())
        #expect(queue.lastAvailIndex == 5 && queue.usedIndex == 5)
        #expect(!queue.resyncWithUsedIndex())
        #expect(queue.popAvailable(maxChains: 32) == 4, "the 4 unacknowledged buffers are processed again")
        #expect(queue.needsNotification(), "first notification after resync is unconditional")
    }

    @Test func aBurstThatLeavesChainsBehindReportsThemAsKnownPending() throws {
        let driver = try FixedRingAddresses.driver(size: 64)
        let queue = try #require(driver.makeQueue(eventIndex: false))
        for _ in 0..<40 { driver.addChain([(0x3_0000, 60)], writable: false) }
        #expect(queue.popAvailable(maxChains: 32) == 32)
        #expect(queue.knownPending == 8, "40 made available, 32 taken")
        #expect(queue.popAvailable(maxChains: 32) == 8)
        #expect(queue.knownPending == 0)
    }
}
