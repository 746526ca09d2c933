import Logging

/// The queue-pair limit as a front-end meets it (docs/vhost-user-protocol.md#queue-pairs).
///
/// A front-end learns the limit from GET_QUEUE_NUM and keeps to it or gives up: QEMU compares it
/// with its netdev's `queues=` and, when that is larger, disconnects on its own ("you are asking more
/// queues than supported") and retries with its reconnect timer. Nothing can clamp it from here:
/// vhost-user has no message that tells a front-end to use fewer pairs after the fact. A front-end
/// that does not ask (DPDK virtio-user decides from its own `queues=`) and sets up a ring past the
/// limit is refused, like any other bad ring index: serving only some of the rings it believes in
/// would lose, without a trace, every frame its guest sends on the others.
struct QueueLimitWatch {
    /// This connection asked GET_QUEUE_NUM.
    var asked = false
    /// This connection started a ring (it got past the limit check, whatever it was).
    var ringStarted = false
    /// The explanation was logged as a warning; repeats (QEMU reconnects every second) go to debug
    /// until a connection starts a ring again.
    var explained = false

    mutating func connectionReset() {
        if ringStarted { explained = false }
        asked = false
        ringStarted = false
    }
}

extension VhostUserDevice {
    func answerQueueCount() -> HandlerResult {
        queueLimitWatch.asked = true
        logger.debug("GET_QUEUE_NUM: \(configuration.queuePairs) queue pairs")
        return .reply(.u64(UInt64(configuration.queuePairs)))
    }

    /// The refusal of a ring index past the limit, naming the limit.
    func beyondLimit<Index: BinaryInteger>(_ ring: Index) -> String {
        let pairs = configuration.queuePairs
        return "ring \(ring) is beyond this port's limit of \(pairs) queue pair\(pairs == 1 ? "" : "s") "
            + "(rings 0...\(2 * pairs - 1)); raise the port's `queues:` to let the front-end use more"
    }

    /// At disconnect: a front-end that asked for the limit and left before any ring started is most
    /// likely a QEMU whose `queues=` is above it; say so on our side too, once.
    func explainEarlyLeave() {
        guard queueLimitWatch.asked, !queueLimitWatch.ringStarted else { return }
        let pairs = configuration.queuePairs
        let message: Logger.Message = """
            front-end left after GET_QUEUE_NUM answered \(pairs) queue pair\(pairs == 1 ? "" : "s"), before starting \
            a ring: QEMU does this when its netdev queues= is above \(pairs) ("you are asking more queues than \
            supported"); raise the port's `queues:` or lower queues=
            """
        if queueLimitWatch.explained {
            logger.debug(message)
        } else {
            logger.warning(message)
            queueLimitWatch.explained = true
        }
    }
}
