import Synchronization

/// Where the engine publishes its snapshots and any thread reads the latest. The lock is taken
/// once per publication by the engine thread (once a second, and per request) and once per read,
/// never per frame; what is under it is a reference swap, the copying happened before.
final class SnapshotBoard: Sendable {
    private let latest = Mutex<EngineSnapshot?>(nil)

    /// Stamps the next sequence number on `snapshot`, makes it the latest and returns it.
    func publish(_ snapshot: EngineSnapshot) -> EngineSnapshot {
        var stamped = snapshot
        // The replaced snapshot is handed out of the lock and released there: freeing a large FDB
        // copy is no reason for a reader to wait.
        _ = latest.withLock { current -> EngineSnapshot? in
            stamped.sequence = (current?.sequence ?? 0) &+ 1
            let replaced = current
            current = stamped
            return replaced
        }
        return stamped
    }

    var current: EngineSnapshot? { latest.withLock { $0 } }
}
