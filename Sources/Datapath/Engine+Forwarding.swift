extension Engine {
    /// One pass over every port's rings; returns how many frames moved.
    func pollPorts() -> Int { 0 }

    /// Before sleeping: re-enable guest kicks; true if work arrived meanwhile (do not sleep).
    func armNotifications() -> Bool { false }

    /// After waking: suppress kicks again while polling.
    func disarmNotifications() {}
}
