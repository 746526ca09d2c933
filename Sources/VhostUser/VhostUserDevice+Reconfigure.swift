/// Settings a reload may change on a connected device (docs/reload.md).
extension VhostUserDevice {
    /// Checked at the next SET_MEM_TABLE or ADD_MEM_REG; regions already mapped stay.
    public func setMaxGuestMemory(_ bytes: UInt64) {
        configuration.maxGuestMemory = bytes
    }
}
