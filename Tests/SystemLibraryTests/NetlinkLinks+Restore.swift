@testable import LinkControl

/// What the tests check and clean up across every interface they touched (the uplink restores
/// its one interface with `restore(_:)`).
extension NetlinkLinks {
    /// Interfaces with changes that `restore` would undo.
    var modifiedLinks: [String] { original.keys.sorted() }

    /// Restores every interface touched; interfaces that vanished meanwhile are skipped.
    /// Throws the first other failure after trying all of them.
    func restoreAll() throws(NetlinkError) {
        var firstFailure: NetlinkError?
        for name in original.keys.sorted() {
            do { try restore(name) } catch {
                if !error.isNoSuchLink && firstFailure == nil { firstFailure = error }
                original[name] = nil
            }
        }
        if let firstFailure { throw firstFailure }
    }
}
